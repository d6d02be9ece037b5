#!/usr/bin/env bash
# The whole test suite, runnable on a fresh machine: installs the real clients the end-to-end
# tests drive (as root, from Debian), installs node modules when missing, builds, runs every test.
# In CI (CI=true) a tool that is still missing fails the run instead of skipping its tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Tests of a missing tool are skipped locally and fail in CI (test/helpers/tools.ts).
. scripts/lib/ensure-tools.sh
ensure_tools test skopeo=skopeo umoci=umoci dockerd=docker.io containerd=containerd ctr=containerd podman=podman htpasswd=apache2-utils chromium=chromium

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci
fi
npm run build --silent
# The CDK CLI the tests run sends no telemetry (and each run passes --no-notices:
# test/cdk/synth.test.ts); a user's own deploys keep the CLI's defaults (docs/deploy.md).
export CDK_DISABLE_CLI_TELEMETRY=true
# Only *.test.js files: node would otherwise also load every helper under a test/ directory.
mapfile -t files < <(find dist/test -name '*.test.js' | sort)
exec node --test --test-concurrency=1 "${files[@]}"
