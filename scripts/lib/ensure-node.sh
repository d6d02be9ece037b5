#!/usr/bin/env bash
# ensure-node.sh [MAJOR]: prints the directory of a Node.js MAJOR (default 22) or later, with its
# headers, for `PATH="$dir/bin:$PATH"` and `npm ci --nodedir="$dir"` (native addons such as
# better-sqlite3 must be compiled against the node that runs them).
#
# The node on PATH is used when it is recent enough and has its headers. Otherwise Node MAJOR is
# installed once from the npm registry (the `node` package, whose platform package holds the
# official binary and headers: nodejs.org downloads are not reachable from every build machine)
# into /opt/nodeMAJOR as root, else ~/.cache/stowage/nodeMAJOR; STOWAGE_NODE_CACHE overrides the
# parent directory. Later runs find it there and return at once. Progress goes to stderr.
set -euo pipefail
major=${1:-22}

has_headers() { [ -f "$1/include/node/node.h" ] && [ -f "$1/include/node/common.gypi" ]; }

if current=$(node -p 'process.versions.node.split(".")[0] + " " + require("node:path").dirname(require("node:path").dirname(process.execPath))' 2>/dev/null); then
  read -r current_major current_dir <<<"$current"
  if [ "$current_major" -ge "$major" ] && has_headers "$current_dir"; then
    echo "$current_dir"
    exit 0
  fi
fi

if [ -n "${STOWAGE_NODE_CACHE:-}" ]; then parent=$STOWAGE_NODE_CACHE
elif [ "$(id -u)" = 0 ]; then parent=/opt
else parent=${XDG_CACHE_HOME:-$HOME/.cache}/stowage
fi
dir=$parent/node$major
if [ -x "$dir/bin/node" ] && has_headers "$dir"; then
  echo "$dir"
  exit 0
fi

echo "ensure-node: installing Node.js $major into $dir from the npm registry" >&2
mkdir -p "$parent"
scratch=$(mktemp -d "$parent/.node$major.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
# The `node` package's install script fetches node-<os>-<arch> (binary and headers; npm is the
# machine's own, which then runs on this node) into its own node_modules.
npm install --prefix "$scratch" --no-save --no-audit --no-fund --loglevel=error "node@$major" >&2
platform_dir=
for candidate in "$scratch"/node_modules/node/node_modules/node-*; do
  if [ -x "$candidate/bin/node" ] && has_headers "$candidate"; then platform_dir=$candidate; fi
done
if [ -z "$platform_dir" ]; then
  echo "ensure-node: the npm package node@$major brought no binary with headers for this platform" >&2
  exit 1
fi
# Move into place in one step, so an interrupted install never looks complete.
rm -rf "$dir"
mv "$platform_dir" "$dir"
echo "ensure-node: $("$dir/bin/node" --version) in $dir" >&2
echo "$dir"
