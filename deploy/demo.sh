#!/usr/bin/env bash
# Demo: a simulated in situ heating acquisition (a Pt particle developing {111} and {100} facets) is
# streamed into a directory (one frame per second, written as temp file + rename, as microscope
# software does) while `stemtrack watch` analyses each frame as it lands (fit, count, link,
# particles and facets) and commits it to SQLite, serving the live dashboard on
# http://127.0.0.1:8080/ (STEMTRACK_DEMO_HTTP to change). A heating-holder log ramps 300 → 500 °C.
# Afterwards the run is queried and a self-contained HTML report is written.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --product stemtrack
bin=.build/release/stemtrack
dir=${STEMTRACK_DEMO_DIR:-$(mktemp -d /tmp/stemtrack-demo.XXXXXX)}
frames=${STEMTRACK_DEMO_FRAMES:-20}
http=${STEMTRACK_DEMO_HTTP:-127.0.0.1:8080}
mkdir -p "$dir/acquisition"
# Heating log: one line per second from now on, 300 °C rising to 500 °C over the run.
now=$(date +%s)
{ echo "time,temperature_C"
  for ((t = -5; t <= frames + 60; t++)); do
    echo "$((now + t)),$(awk -v t="$t" -v n="$frames" 'BEGIN { f = t < 0 ? 0 : (t > n ? 1 : t / n); printf "%.1f", 300 + 200 * f }')"
  done; } > "$dir/heating.csv"
printf "crystal = fcc\nlattice_constant = 3.92\nzone_axis = 110\n" > "$dir/stemtrack.conf"
echo "acquisition directory: $dir/acquisition; database: $dir/stemtrack.sqlite"
echo "live dashboard: http://$http/ (while the demo runs)"
"$bin" watch "$dir/acquisition" --db "$dir/stemtrack.sqlite" --config "$dir/stemtrack.conf" \
  --temperature-log "$dir/heating.csv" --http "$http" --stop-after "$frames" &
watcher=$!
trap 'kill $watcher 2>/dev/null || true' EXIT
sleep 1
"$bin" simulate --out "$dir/acquisition" --frames "$frames" --radius 15 --reshape --interval 1 -q
wait $watcher
echo
"$bin" query summary --db "$dir/stemtrack.sqlite"
echo
"$bin" query events --db "$dir/stemtrack.sqlite" --type facet_appeared,facet_grew,facet_shrank,facet_vanished --frames 1: | head -15
echo
"$bin" query facets --db "$dir/stemtrack.sqlite" --totals --family {100},{111} | head -12
echo
"$bin" query particles --db "$dir/stemtrack.sqlite" | head -8
echo
"$bin" report --db "$dir/stemtrack.sqlite" --out "$dir/report.html"
echo "report: $dir/report.html"
echo "export: $bin export columns --db $dir/stemtrack.sqlite --format csv"
