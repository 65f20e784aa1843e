#!/usr/bin/env bash
# Everything `npm test` needs beyond npm ci: Debian's Chromium for the editor tests, openssl for the
# reliability suite's https origin and libfaketime for its clock steps, GDAL's tools (gdal-bin) to
# read the emulator's GeoTIFFs as a GIS does, redis-server and PostgreSQL for token and watch sharing and n8n
# queue mode, and the real n8n (plus its node linter) in a cache folder. Each step is skipped when
# already done.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$HERE/install-chromium.sh"
bash "$HERE/apt-install.sh" openssl openssl
bash "$HERE/apt-install.sh" gdalinfo gdal-bin
bash "$HERE/apt-install.sh" redis-server redis-server
# The server binary lives in a versioned folder (/usr/lib/postgresql/<major>/bin), never on PATH.
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || bash "$HERE/apt-install.sh" /nonexistent/postgres postgresql
bash "$HERE/apt-install.sh" faketime faketime
bash "$HERE/install-n8n.sh"
