#!/usr/bin/env bash
# Install what the tests need, then run the whole suite. Used by the README and by .ci/run.
# Browser tests drive Debian's Chromium (never a downloaded browser): installed here with apt
# when missing and we are root; elsewhere set VALRUMMET_CHROMIUM to a Chromium binary.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${VALRUMMET_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installerar Debians chromium för webbläsartesterna …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "fel: chromium saknas; installera Debians paket 'chromium' eller sätt VALRUMMET_CHROMIUM" >&2
    exit 1
  fi
fi

# The deployment test (tests/test_deploy.py) runs deploy/nginx/valrummet.conf with Debian's nginx
# in the foreground on loopback (never as a service); installed the same way when missing.
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installerar Debians nginx för driftstestet …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null
  else
    echo "obs: nginx saknas; driftstestet hoppas över (installera Debians paket 'nginx')" >&2
  fi
fi

# The booking calendar's store tests (tests/test_calendar_*.py) also run against PostgreSQL: a
# throwaway cluster that the tests create with Debian's binaries (initdb into a temp folder, pg_ctl on
# a loopback port; never the system service). Installed the same way when missing.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installerar Debians postgresql för kalenderns databastester …"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "obs: postgresql saknas; kalenderns PostgreSQL-tester hoppas över (installera Debians paket 'postgresql')" >&2
  fi
fi

python3 -m pip install -q --disable-pip-version-check -r requirements-dev.txt
python3 -m pytest "$@"
