#!/usr/bin/env bash
# Installs what Finch needs from the system's package manager, builds `finch` in release mode and runs the
# offline quickstart pipeline. Safe to run twice: packages already present are not touched, the build is
# incremental and a second quickstart run is served from its cache.
#   scripts/setup.sh              install system packages if missing, build release, run the quickstart
#   scripts/setup.sh --no-run     the same without running the quickstart
#   scripts/setup.sh --deps-only  only the system packages (what .ci/run uses before `swift test`)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(libdnnl-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
  else
    echo "setup: missing system packages: ${missing[*]}" >&2
    echo "setup: run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi
command -v swift >/dev/null || { echo "setup: swift is not on PATH; install Swift 6 from swift.org first" >&2; exit 1; }

[ "${1:-}" = "--deps-only" ] && exit 0

swift build -c release --product finch
echo "setup: built $(pwd)/.build/release/finch"
[ "${1:-}" = "--no-run" ] && exit 0
.build/release/finch run pipelines/quickstart.yaml
