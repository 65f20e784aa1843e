#!/usr/bin/env bash
# Everything `npm test` needs beyond npm ci: Debian's Chromium for the editor tests, openssl for the
# reliability suite's https origin, libfaketime for its clock steps, and the real n8n (plus its
# node linter) in a cache folder. Each step is skipped when already done.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/install-chromium.sh"
bash "$HERE/apt-install.sh" openssl openssl
bash "$HERE/apt-install.sh" faketime faketime
bash "$HERE/install-n8n.sh"
