#!/usr/bin/env bash
# `npm run bench`: Stowage against distribution 2.8 (Debian's docker-registry), same run, same clients.
# Needs skopeo, umoci and wrk; docker.io for the docker rows (as root); docker-registry for the
# comparison column (without it only Stowage is measured and ratios are "n/a").
# As root with apt-get, missing required tools are installed; docker-registry only with BENCH_INSTALL_ALL=1.
# Options: --quick, --no-docker, --no-distribution (see bench/run.ts). Results: .bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A PACKAGE_OF=([skopeo]=skopeo [umoci]=umoci [wrk]=wrk [dockerd]=docker.io [docker]=docker.io)
if [ "${BENCH_INSTALL_ALL:-0}" = 1 ]; then PACKAGE_OF[docker-registry]=docker-registry; fi
missing=()
for tool in "${!PACKAGE_OF[@]}"; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("${PACKAGE_OF[$tool]}")
done
if ((${#missing[@]})); then
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bench: installing $packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  else
    echo "bench: missing $packages (install them with apt-get as root)" >&2
  fi
fi

# Only a missing node_modules is installed here: `npm ci` wipes node_modules first, which would break
# anything else using this checkout at the same time (run `npm ci` yourself after a lockfile change).
if [ ! -d node_modules ]; then
  npm ci
fi
npm run build --silent
exec node dist/bench/run.js "$@"
