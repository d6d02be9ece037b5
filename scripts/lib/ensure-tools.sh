# Sourced by scripts/test.sh and scripts/bench.sh. ensure_tools LABEL TOOL=PACKAGE...: installs
# the Debian packages of the tools not on PATH, when run as root with apt-get; otherwise says
# which are missing (the caller decides whether that is fatal).
ensure_tools() {
  local label=$1 pair tool missing=()
  shift
  for pair in "$@"; do
    tool=${pair%%=*}
    command -v "$tool" >/dev/null 2>&1 || missing+=("${pair#*=}")
  done
  ((${#missing[@]})) || return 0
  local packages
  packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "$label: installing $packages" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  else
    echo "$label: missing $packages (install them as root with apt-get)" >&2
  fi
}
