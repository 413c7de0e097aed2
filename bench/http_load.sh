#!/usr/bin/env bash
# HTTP load while the daemon works: `stemtrack watch --http` analyses a simulated acquisition
# (1 frame/s) while wrk holds 64 connections for 30 s on each endpoint below; prints latency
# percentiles, request rate, errors and the daemon's peak resident memory (VmHWM), and checks
# that no frame was recorded failed meanwhile. Needs wrk (apt-get install wrk) and a release build.
# Usage: bench/http_load.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.build/release/stemtrack
secs=${1:-30}; conns=${2:-64}
command -v wrk >/dev/null || { echo "http_load.sh: wrk not found (apt-get install wrk)" >&2; exit 1; }
export OPENBLAS_NUM_THREADS=1
dir=$(mktemp -d /tmp/stemtrack-httpload.XXXXXX)
mkdir "$dir/acq"
port=$((30000 + RANDOM % 10000))
"$bin" watch "$dir/acq" --db "$dir/db.sqlite" --http "127.0.0.1:$port" 2>"$dir/watch.log" &
w=$!
trap 'kill $w 2>/dev/null; wait $w 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
# Frames keep landing during the load (1 per second).
"$bin" simulate --out "$dir/acq" --frames $((6 * secs + 20)) --size 512 --radius 21 --seed 9 --interval 1 -q >/dev/null &
sim=$!
for _ in $(seq 100); do [ "$(sqlite3 "$dir/db.sqlite" 'select count(*) from frames' 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.5; done
echo "| endpoint | requests/s | p50 ms | p90 ms | p99 ms | errors | daemon peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for ep in /api/summary /api/frames/2/columns /api/frames/2/image.png /healthz /metrics; do
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "http://127.0.0.1:$port$ep" 2>&1)
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p50=$(echo "$out" | awk '$1=="50%" {print $2}')
  p90=$(echo "$out" | awk '$1=="90%" {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {print $2}')
  errs=$(echo "$out" | awk '/Socket errors|Non-2xx/ {printf "%s ", $0}')
  rss=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$w/status)
  ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) printf "%.2f", v/1000; else if (v ~ /ms$/) printf "%.1f", v+0; else if (v ~ /s$/) printf "%.0f", v*1000; else print v }'; }
  echo "| $ep | $rps | $(ms "$p50") | $(ms "$p90") | $(ms "$p99") | ${errs:-0} | $rss |"
done
kill $sim 2>/dev/null || true
failed=$(sqlite3 "$dir/db.sqlite" "select count(*) from frames where status='failed'")
total=$(sqlite3 "$dir/db.sqlite" "select count(*) from frames")
echo
echo "frames stored during the run: $total, failed: $failed"
