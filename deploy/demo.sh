#!/usr/bin/env bash
# Demo: a simulated in situ acquisition is streamed into a directory (one frame per second,
# written as temp file + rename, as microscope software does) while stemtrack fits each frame
# as it lands and compares it with the simulator's ground truth.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product stemtrack
bin=.build/release/stemtrack
dir=${STEMTRACK_DEMO_DIR:-$(mktemp -d /tmp/stemtrack-demo.XXXXXX)}
frames=${STEMTRACK_DEMO_FRAMES:-12}
echo "acquisition directory: $dir"
"$bin" simulate --out "$dir" --frames "$frames" --interval 1 -q &
sim=$!
trap 'kill $sim 2>/dev/null || true' EXIT
for ((i = 0; i < frames; i++)); do
  f=$(printf "%s/frame_%05d.tif" "$dir" "$i")
  while [ ! -f "$f" ]; do sleep 0.1; done
  "$bin" fit "$f" --gain 1 --offset 0 --format csv -o "${f%.tif}.csv" -v 2>&1 | sed "s|^|$(basename "$f"): |"
done
wait $sim
echo
echo "column tables: $dir/frame_*.csv; ground truth: $dir/truth.json"
