#!/usr/bin/env bash
# The editor tests drive Debian's Chromium through playwright-core (Playwright's own browser
# download needs network this project's machines do not have).
set -euo pipefail
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present)"
  exit 0
fi
SUDO=()
[[ "$(id -u)" -ne 0 ]] && SUDO=(sudo -n)
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: $CHROMIUM is missing and apt-get is not available; install Chromium and set CHROMIUM_PATH" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get install -y chromium >/dev/null ||
  { "${SUDO[@]}" apt-get update >/dev/null && "${SUDO[@]}" apt-get install -y chromium >/dev/null; }
echo "chromium: $("$CHROMIUM" --version)"
