#!/usr/bin/env bash
# Usage: apt-install.sh <path-or-command> <debian-package>
# Installs a Debian package when what the tests need from it is missing (no-op otherwise).
set -euo pipefail
WANT="$1"
PACKAGE="$2"
if [[ -x "$WANT" ]] || command -v "$WANT" >/dev/null 2>&1; then
  exit 0
fi
SUDO=()
[[ "$(id -u)" -ne 0 ]] && SUDO=(sudo -n)
if ! command -v apt-get >/dev/null; then
  echo "apt-install: $WANT is missing and apt-get is not available; install $PACKAGE" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y "$PACKAGE" >/dev/null ||
  { "${SUDO[@]}" apt-get update >/dev/null && "${SUDO[@]}" apt-get install -y "$PACKAGE" >/dev/null; }
