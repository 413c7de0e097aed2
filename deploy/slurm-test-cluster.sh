#!/usr/bin/env bash
# A throw-away single-node Slurm cluster on 127.0.0.1 for the tests, as plain processes (no
# systemd): munged as the `munge` user, slurmctld and slurmd in the foreground, state and logs in
# DIR. Installs Debian's slurmctld, slurmd, slurm-client and munge if they are missing.
#
#   bash deploy/slurm-test-cluster.sh start DIR    # prints the slurm.conf path: export SLURM_CONF=…
#   bash deploy/slurm-test-cluster.sh stop DIR
#
# The node is `localhost` (127.0.0.1) with this machine's CPUs and memory, one partition `debug`,
# no accounting; jobs run as the caller. Ports 6817/6818 unless SLURM_TEST_PORT is set (ctld port;
# slurmd uses the next one).
set -euo pipefail
cmd=${1:?usage: start DIR | stop DIR}
dir=${2:?usage: start DIR | stop DIR}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
port=${SLURM_TEST_PORT:-6817}

close_inherited_fds() {
  local fd
  for fd in $(ls /proc/$$/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
start)
  if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null \
     || ! command -v munged >/dev/null; then
    echo "stemtrack: installing slurmctld slurmd slurm-client munge" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q --no-install-recommends slurmctld slurmd slurm-client munge >&2
  fi
  mkdir -p "$dir"/state "$dir"/spool
  dir=$(cd "$dir" && pwd)
  # munge: a key (the package makes one; create it if missing) and the daemon as `munge`.
  if [ ! -f /etc/munge/munge.key ]; then
    $SUDO mkdir -p /etc/munge
    $SUDO dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=1024 status=none
    $SUDO chown munge:munge /etc/munge/munge.key; $SUDO chmod 400 /etc/munge/munge.key
  fi
  $SUDO mkdir -p /run/munge /var/log/munge /var/lib/munge
  $SUDO chown munge:munge /run/munge /var/log/munge /var/lib/munge
  if ! munge -n >/dev/null 2>&1 </dev/null; then
    (close_inherited_fds; $SUDO runuser -u munge -- /usr/sbin/munged --force </dev/null >/dev/null 2>&1) \
      || { echo "stemtrack: munged did not start" >&2; exit 1; }
    for _ in $(seq 50); do munge -n >/dev/null 2>&1 </dev/null && break; sleep 0.1; done
    munge -n >/dev/null 2>&1 </dev/null || { echo "stemtrack: munged does not answer" >&2; exit 1; }
  fi
  cpus=$(nproc)
  mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat > "$dir/slurm.conf" <<EOF
ClusterName=stemtrack-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
# A test cluster: schedule at once (the defaults wait up to 30 s between passes).
SchedulerParameters=bf_interval=1,sched_min_interval=100000,defer_batch=0
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=3600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
EOF
  export SLURM_CONF="$dir/slurm.conf"
  stop_pidfile "$dir/slurmctld.pid"; stop_pidfile "$dir/slurmd.pid"
  (close_inherited_fds; setsid slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$dir/slurmctld.out" 2>&1 & echo $! > "$dir/slurmctld.pid")
  (close_inherited_fds; setsid slurmd -D -N localhost -f "$SLURM_CONF" </dev/null >>"$dir/slurmd.out" 2>&1 & echo $! > "$dir/slurmd.pid")
  for _ in $(seq 150); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then break; fi
    sleep 0.2
  done
  if ! sinfo -h -o '%T' 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "stemtrack: the Slurm node did not come up; logs in $dir" >&2
    tail -5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 2>/dev/null || true
    exit 1
  fi
  echo "$SLURM_CONF"
  ;;
stop)
  [ -d "$dir" ] || exit 0
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/slurm.conf" ]; then SLURM_CONF="$dir/slurm.conf" scancel --full --user "$(id -un)" 2>/dev/null || true; fi
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  ;;
*)
  echo "usage: start DIR | stop DIR" >&2; exit 2 ;;
esac
