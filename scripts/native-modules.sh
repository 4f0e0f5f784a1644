#!/usr/bin/env bash
# Puts the better-sqlite3 binary built for the `node` first on PATH into node_modules. Each Node.js
# major has its own native ABI; one checkout serves several (CI runs Node 20 and 24), so every build
# is kept in a cache keyed by better-sqlite3's version and the ABI, and swapped in by copying. A
# build that is missing is compiled from source against that Node's headers (`node-gyp`, with the
# registry package's include dir as nodedir): the prebuilt binaries live on GitHub, which these
# machines cannot reach.
set -euo pipefail
cd "$(dirname "$0")/.."
module=node_modules/better-sqlite3
target="$module/build/Release/better_sqlite3.node"
[ -d "$module" ] || { echo "ttv: $module missing; run npm install first" >&2; exit 1; }
node_bin="$(command -v node)"
abi="$(node -p process.versions.modules)"
version="$(node -p "require('./$module/package.json').version")"
cache="${TTV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ttv}/better-sqlite3/$version-abi$abi"
loads() { node -e "new (require('./$module'))(':memory:').close()" >/dev/null 2>&1; }

if loads; then
  # What is in place already fits this Node: keep a copy for the next swap.
  [ -f "$cache/better_sqlite3.node" ] || { mkdir -p "$cache"; cp "$target" "$cache/better_sqlite3.node"; }
  exit 0
fi
if [ ! -f "$cache/better_sqlite3.node" ]; then
  nodedir="$(cd "$(dirname "$node_bin")/.." && pwd)"
  [ -f "$nodedir/include/node/node.h" ] || { echo "ttv: no Node.js headers under $nodedir/include/node" >&2; exit 1; }
  gyp="$(dirname "$(command -v npm)")/../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  [ -f "$gyp" ] || gyp="$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  echo "ttv: building better-sqlite3 $version for Node.js $(node --version) (ABI $abi); a few minutes" >&2
  cp -r "$module" "$work/better-sqlite3"
  rm -rf "$work/better-sqlite3/build"
  (cd "$work/better-sqlite3" && JOBS=max node "$gyp" rebuild --release --nodedir="$nodedir" >&2)
  mkdir -p "$cache"
  cp "$work/better-sqlite3/build/Release/better_sqlite3.node" "$cache/better_sqlite3.node"
fi
# (The binary in place is saved to the cache when this runs under its own Node: .ci/run runs it under
# the machine's Node first.)
cp "$cache/better_sqlite3.node" "$target.new"
mv "$target.new" "$target"
loads || { echo "ttv: better-sqlite3 still does not load on Node.js $(node --version)" >&2; exit 1; }
echo "ttv: better-sqlite3 $version in place for Node.js $(node --version)" >&2
