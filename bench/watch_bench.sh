#!/usr/bin/env bash
# Daemon benchmark: the simulator writes frames into a watched directory at a fixed interval while
# `stemtrack watch` processes them; prints sustained frames/s and end-to-end latency (file's
# modification time when closed → the frame's results ready to commit, `processed_at` in the store),
# median and 95th percentile. Release build: `swift build -c release --product stemtrack` first.
# Usage: bench/watch_bench.sh [SIZE RADIUS_Å FRAMES INTERVAL_s] ...   (default: both 512² and 1024²)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/stemtrack
export OPENBLAS_NUM_THREADS=1
runs=("$@")
[ ${#runs[@]} -gt 0 ] || runs=("512 21 30 0.5" "1024 42 30 1.0" "512 21 30 0" "1024 42 30 0")
echo "| frame | columns | frames | write interval s | sustained frames/s | latency median s | latency p95 s |"
echo "|---|---|---|---|---|---|---|"
for r in "${runs[@]}"; do
  read -r size radius frames interval <<<"$r"
  dir=$(mktemp -d /tmp/stemtrack-watchbench.XXXXXX)
  mkdir "$dir/acq"
  "$bin" watch "$dir/acq" --db "$dir/db.sqlite" --stop-after "$frames" 2>/dev/null &
  w=$!
  sleep 1
  "$bin" simulate --out "$dir/acq" --frames "$frames" --size "$size" --radius "$radius" --interval "$interval" -q >/dev/null
  wait $w
  lat=$(sqlite3 "$dir/db.sqlite" "select processed_at - mtime from frames where status='ok' order by processed_at - mtime;")
  n=$(echo "$lat" | wc -l)
  med=$(echo "$lat" | awk -v n="$n" 'NR==int((n+1)/2){printf "%.2f", $1}')
  p95=$(echo "$lat" | awk -v n="$n" 'NR==int(0.95*n+0.999){printf "%.2f", $1}')
  rate=$(sqlite3 "$dir/db.sqlite" "select printf('%.2f', (count(*)-1)/(max(processed_at)-min(processed_at))) from frames;")
  cols=$(sqlite3 "$dir/db.sqlite" "select cast(avg(column_count) as int) from frames where status='ok';")
  echo "| ${size}² | $cols | $n | $interval | $rate | $med | $p95 |"
  rm -rf "$dir"
done
