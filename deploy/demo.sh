#!/usr/bin/env bash
# Demo: a simulated in situ heating acquisition (a Pt particle developing {111} and {100} facets) is
# streamed into a directory (one frame per second, written as temp file + rename, as microscope
# software does) while `stemtrack watch` analyses each frame as it lands (fit, count, link,
# particles and facets) and commits it to SQLite, serving the live dashboard on
# http://127.0.0.1:8080/ (STEMTRACK_DEMO_HTTP to change). Side by side, a heating holder's log (Protochips
# format) grows twice a second, ramping 300 → 500 °C: the daemon follows it, and frames that land
# before their log line get their temperature when it arrives. Afterwards `stemtrack process` makes
# the last counts final and fills in the last temperatures, the run is queried and a self-contained
# HTML report is written.
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
# Heating log in the holder software's own format (Protochips Fusion/AXON CSV: header lines in the
# Notes column, then elapsed milliseconds), appended twice a second while the demo runs.
start=$(date +%s)
{ echo "Time, Notes, Channel A Temperature, Channel B Current"
  echo "0, Date (yyyy.mm.dd) = $(date -u -d "@$start" +%Y.%m.%d), 0, 0"
  echo "0, Time (hh:mm:ss.ms) = $(date -u -d "@$start" +%H:%M:%S).000, 0, 0"
  echo "0, Time units = Milliseconds, 0, 0"
  echo "0, Temperature units = Degrees C, 0, 0"
  echo "0, Current units = Amps, 0, 0"; } > "$dir/heating.csv"
(
  while :; do
    ms=$(( $(date +%s%3N) - start * 1000 ))
    awk -v ms="$ms" -v n="$frames" 'BEGIN { t = ms / 1000; f = t < 0 ? 0 : (t > n ? 1 : t / n);
      printf "%d, , %.3f, %.6f\n", ms, 300 + 200 * f, 0.012 + 0.004 * f }' >> "$dir/heating.csv"
    sleep 0.5
  done
) &
holder=$!
sleep 1.2   # a few samples before the daemon starts
printf "crystal = fcc\nlattice_constant = 3.92\nzone_axis = 110\n" > "$dir/stemtrack.conf"
echo "acquisition directory: $dir/acquisition; database: $dir/stemtrack.sqlite"
echo "live dashboard: http://$http/ (while the demo runs)"
"$bin" watch "$dir/acquisition" --db "$dir/stemtrack.sqlite" --config "$dir/stemtrack.conf" \
  --temperature-log "$dir/heating.csv" --http "$http" --stop-after "$frames" &
watcher=$!
trap 'kill $watcher $holder 2>/dev/null || true' EXIT
sleep 1
"$bin" simulate --out "$dir/acquisition" --frames "$frames" --radius 15 --reshape --interval 1 -q
wait $watcher
sleep 1
# The acquisition is over: make the last counts final and give the last frames their temperature.
"$bin" process "$dir/acquisition" --db "$dir/stemtrack.sqlite" --config "$dir/stemtrack.conf" \
  --temperature-log "$dir/heating.csv" 2>/dev/null
kill $holder 2>/dev/null || true
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
