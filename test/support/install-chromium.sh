#!/usr/bin/env bash
# The editor tests drive Debian's Chromium through playwright-core (Playwright's own browser
# download needs network this project's machines do not have).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" && -n "${CHROMIUM_PATH:-}" ]]; then
  echo "install-chromium: CHROMIUM_PATH=$CHROMIUM is not an executable" >&2
  exit 1
fi
bash "$HERE/apt-install.sh" "$CHROMIUM" chromium
echo "chromium: $("$CHROMIUM" --version 2>/dev/null || echo present)"
