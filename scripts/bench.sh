#!/usr/bin/env bash
# `npm run bench`: Stowage against distribution 2.8 (Debian's docker-registry), same run, same clients.
# Needs skopeo, umoci and wrk; docker.io for the docker rows (as root); docker-registry for the
# comparison column (without it only Stowage is measured and ratios are "n/a").
# As root with apt-get, missing required tools are installed; docker-registry only with BENCH_INSTALL_ALL=1.
# Options: --quick, --no-docker, --no-distribution, --rows=ID,..., --only=gc (see bench/run.ts). Results: .bench/results.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# --rows= selects in-process rows only (bench/micro.ts): no clients or servers to install.
selected=0
for arg in "$@"; do case "$arg" in --rows=*) selected=1 ;; esac; done
if [ "$selected" = 0 ] && [ -z "${BENCH_ROWS:-}" ]; then
  . scripts/lib/ensure-tools.sh
  tools=(skopeo=skopeo umoci=umoci wrk=wrk dockerd=docker.io docker=docker.io)
  if [ "${BENCH_INSTALL_ALL:-0}" = 1 ]; then tools+=(docker-registry=docker-registry); fi
  ensure_tools bench "${tools[@]}"
fi

# Only a missing node_modules is installed here: `npm ci` wipes node_modules first, which would break
# anything else using this checkout at the same time (run `npm ci` yourself after a lockfile change).
if [ ! -d node_modules ]; then
  npm ci
fi
npm run build --silent
exec node dist/bench/run.js "$@"
