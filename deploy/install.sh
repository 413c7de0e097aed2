#!/usr/bin/env bash
# Installs a built stemtrack binary, an example configuration and the systemd unit on the
# acquisition PC (Debian 12), with the runtime libraries only (no compilers, no -dev packages).
# Run as root. Idempotent: an existing configuration is kept.
#
#   bash deploy/install.sh [path/to/stemtrack]     # default: .build/release/stemtrack
#
# Build the binary first, on this machine or a build machine with the same Debian release:
#   bash deploy/setup-debian.sh && swift build -c release --product stemtrack
# A binary built with Swift's --static-swift-stdlib needs no Swift runtime on the acquisition PC;
# otherwise copy the toolchain's usr/lib/swift/linux/*.so next to it or install Swift there.
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${1:-.build/release/stemtrack}"
[ -x "$binary" ] || { echo "install.sh: $binary not found; build it first (see the top of this script)" >&2; exit 1; }
runtime=(libtiff6 libhdf5-103-1 liblapacke libopenblas0 libinotifytools0 libsqlite3-0)
missing=()
for p in "${runtime[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "stemtrack: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
install -m 0755 "$binary" /usr/local/bin/stemtrack
install -d /etc/stemtrack
[ -f /etc/stemtrack/stemtrack.conf ] || install -m 0644 deploy/stemtrack.conf.example /etc/stemtrack/stemtrack.conf
id -u stemtrack >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin stemtrack
install -m 0644 deploy/stemtrack.service /etc/systemd/system/stemtrack.service
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "installed /usr/local/bin/stemtrack; edit /etc/stemtrack/stemtrack.conf (and ReadOnlyPaths= in the unit"
echo "if the acquisition directory is not under /data), then: systemctl enable --now stemtrack"
