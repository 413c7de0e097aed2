#!/usr/bin/env bash
# Installs the Debian packages stemtrack builds against (idempotent: installs only what is missing).
# Swift 6.1 or newer must be on PATH (https://www.swift.org/install/linux/).
set -euo pipefail
packages=(libtiff-dev libhdf5-dev liblapacke-dev libopenblas-dev libinotifytools0-dev libsqlite3-dev pkg-config chromium sqlite3 curl systemd)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "stemtrack: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q "${missing[@]}"
fi
command -v swift >/dev/null || { echo "stemtrack: swift not found on PATH; install Swift 6.1+ first" >&2; exit 1; }
