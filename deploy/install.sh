#!/usr/bin/env bash
# Builds stemtrack (release) and installs the binary, an example configuration and the systemd
# unit. Run as root on the acquisition PC (Debian). Idempotent: an existing configuration is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/setup-debian.sh
swift build -c release --product stemtrack
install -m 0755 .build/release/stemtrack /usr/local/bin/stemtrack
install -d /etc/stemtrack
[ -f /etc/stemtrack/stemtrack.conf ] || install -m 0644 deploy/stemtrack.conf.example /etc/stemtrack/stemtrack.conf
id -u stemtrack >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin stemtrack
install -m 0644 deploy/stemtrack.service /etc/systemd/system/stemtrack.service
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
echo "installed /usr/local/bin/stemtrack; edit /etc/stemtrack/stemtrack.conf, then: systemctl enable --now stemtrack"
