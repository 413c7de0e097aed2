#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster on 127.0.0.1 for the tests and benchmarks, as a plain
# process (no systemd). Installs the `postgresql` package if it is missing.
#
#   bash deploy/postgres-test-server.sh start DIR [PORT]   # prints the URL to use: postgres://…
#   bash deploy/postgres-test-server.sh stop DIR
#
# The cluster runs as the `postgres` user (initdb refuses root); the superuser `postgres` and a
# database `stemtrack` are created, with password authentication on TCP (the password is in
# DIR/password, readable by the caller) and a read-only role `stemtrack_reader`.
set -euo pipefail
cmd=${1:?usage: start DIR [PORT] | stop DIR}
dir=${2:?usage: start DIR [PORT] | stop DIR}
port=${3:-55432}
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"

pgbin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -n "$d" ] || return 1
  echo "$d"
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"; elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

# The server must not keep file descriptors of whoever started this script (a test runner that
# waits for this script's end would otherwise wait for the server's).
close_inherited_fds() {
  local fd
  for fd in $(ls /proc/$$/fd); do
    [ "$fd" -gt 2 ] && eval "exec $fd>&-" 2>/dev/null || true
  done
}

case "$cmd" in
start)
  if ! bin=$(pgbin); then
    echo "stemtrack: installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q >&2
    $SUDO apt-get install -y -q --no-install-recommends postgresql >&2
    bin=$(pgbin) || { echo "stemtrack: PostgreSQL did not install" >&2; exit 1; }
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  $SUDO chown postgres "$dir" 2>/dev/null || chown postgres "$dir"
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    echo "$password" > "$dir/pwfile"; chown postgres "$dir/pwfile"
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      --pwfile="$dir/pwfile" -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    # Roomier defaults for a 5·10⁷-row benchmark on a 24 GiB machine; fsync stays on.
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
shared_buffers = 1GB
max_wal_size = 8GB
checkpoint_timeout = 15min
max_connections = 200
CONF
    # The password, for the tests (a file the caller can read, never on a command line).
    umask 077; echo "$password" > "$dir/password"; umask 022
    [ "$(id -u)" -eq 0 ] && chown "${SUDO_USER:-root}" "$dir/password" 2>/dev/null || true
  fi
  if ! as_postgres "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    close_inherited_fds
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 \
      || { tail -20 "$dir/server.log" >&2; exit 1; }
  fi
  as_postgres "$bin/psql" -h "$dir" -p "$port" -U postgres -d postgres -qAt -c "SELECT 1 FROM pg_database WHERE datname = 'stemtrack'" | grep -q 1 \
    || as_postgres "$bin/createdb" -h "$dir" -p "$port" -U postgres stemtrack
  echo "postgres://postgres@127.0.0.1:$port/stemtrack?sslmode=disable&password_file=$dir/password"
  ;;
stop)
  bin=$(pgbin) || exit 0
  [ -f "$dir/data/PG_VERSION" ] || exit 0
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  ;;
restart)
  bin=$(pgbin)
  close_inherited_fds
  as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w -l "$dir/server.log" restart >&2
  ;;
*) echo "usage: $0 start DIR [PORT] | stop DIR | restart DIR" >&2; exit 2 ;;
esac
