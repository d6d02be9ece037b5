#!/usr/bin/env bash
# The whole test suite, runnable on a fresh machine: installs the real clients the end-to-end
# tests drive (as root, from Debian), installs node modules when missing, builds, runs every test.
# In CI (CI=true) a tool that is still missing fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# tool -> Debian package
declare -A PACKAGE_OF=([skopeo]=skopeo [umoci]=umoci [dockerd]=docker.io [containerd]=containerd [ctr]=containerd [podman]=podman)
missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
if ((${#missing[@]})); then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing $packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  else
    echo "test: missing $packages (install them as root with apt-get); their tests will be skipped locally and fail in CI" >&2
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
npm run build --silent
# Only *.test.js files: node would otherwise also load every helper under a test/ directory.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency=1 "${files[@]}"
