#!/usr/bin/env bash
# Demo: a simulated in situ acquisition is streamed into a directory (one frame per second,
# written as temp file + rename, as microscope software does) while `stemtrack watch` analyses
# each frame as it lands and commits it to SQLite. Afterwards the run is queried.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product stemtrack
bin=.build/release/stemtrack
dir=${STEMTRACK_DEMO_DIR:-$(mktemp -d /tmp/stemtrack-demo.XXXXXX)}
frames=${STEMTRACK_DEMO_FRAMES:-20}
mkdir -p "$dir/acquisition"
echo "acquisition directory: $dir/acquisition; database: $dir/stemtrack.sqlite"
"$bin" watch "$dir/acquisition" --db "$dir/stemtrack.sqlite" --stop-after "$frames" &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
sleep 1
"$bin" simulate --out "$dir/acquisition" --frames "$frames" --interval 1 -q
wait $watcher
echo
"$bin" query summary --db "$dir/stemtrack.sqlite"
echo
"$bin" query events --db "$dir/stemtrack.sqlite" | head -15
echo
echo "export: $bin export columns --db $dir/stemtrack.sqlite --format csv"
