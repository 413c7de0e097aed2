#!/usr/bin/env bash
# Set-up and the whole test suite, on a fresh Debian machine. Numerics-heavy tests run in a
# release build with testing enabled (debug builds are 10–50× slower). A PostgreSQL cluster on
# 127.0.0.1 is started for the facility-store tests, and a single-node Slurm cluster for the
# archive-on-a-cluster tests (both stopped at the end); the tests that need them fail, never skip,
# when they are not there.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
export OPENBLAS_NUM_THREADS=1
pgdir=$(mktemp -d /tmp/stemtrack-pg.XXXXXX)
slurmdir=$(mktemp -d /tmp/stemtrack-slurm.XXXXXX)
trap 'bash deploy/postgres-test-server.sh stop "$pgdir" || true; rm -rf "$pgdir"; bash deploy/slurm-test-cluster.sh stop "$slurmdir" || true; rm -rf "$slurmdir"' EXIT
STEMTRACK_TEST_POSTGRES=$(bash deploy/postgres-test-server.sh start "$pgdir" "${STEMTRACK_TEST_PG_PORT:-55433}")
export STEMTRACK_TEST_POSTGRES STEMTRACK_TEST_POSTGRES_DIR="$pgdir"
SLURM_CONF=$(SLURM_TEST_PORT="${STEMTRACK_TEST_SLURM_PORT:-6827}" bash deploy/slurm-test-cluster.sh start "$slurmdir")
export SLURM_CONF
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --skip-build
