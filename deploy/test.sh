#!/usr/bin/env bash
# Set-up and the whole test suite, on a fresh Debian machine. Numerics-heavy tests run in a
# release build with testing enabled (debug builds are 10–50× slower).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
export OPENBLAS_NUM_THREADS=1
swift build -c release --build-tests -Xswiftc -enable-testing
swift test -c release -Xswiftc -enable-testing --skip-build
