#!/usr/bin/env bash
# The system packages Régua's two commands need, installed when missing.
#
#   tools/prereqs.sh run    Python 3.11 with venv, Java 17, Maven, PostgreSQL server
#   tools/prereqs.sh test   the same, plus Chromium (the portal's browser tests)
#
# As root with apt-get, whatever is missing is installed from Debian's
# packages (one `apt-get update`, one `apt-get install`). Otherwise it prints
# one line naming the exact packages to install, and exits 1.
set -euo pipefail

mode=${1:-run}
python=${PYTHON:-python3}
missing=()

have() { command -v "$1" >/dev/null 2>&1; }

"$python" -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
have java || missing+=(openjdk-17-jre-headless)
have mvn || missing+=(maven)
# Debian keeps the server binaries in its versioned folder, off the PATH.
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
if [ "$mode" = test ]; then
  have chromium || missing+=(chromium)
  # tests/crd validates the monitoring manifests with an npm package.
  { have node && have npm; } || missing+=(nodejs npm)
fi

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && have apt-get; then
  echo "installing from Debian's packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
  if [[ " ${missing[*]} " == *" postgresql "* ]]; then
    # Debian's package starts a cluster on :5432 that Régua does not use.
    if have pg_lsclusters; then
      pg_lsclusters -h | while read -r ver name _; do pg_ctlcluster "$ver" "$name" stop || true; done
    fi
  fi
  exit 0
fi

echo "Régua needs these Debian packages: sudo apt-get install ${missing[*]}" >&2
exit 1
