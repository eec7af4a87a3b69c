#!/usr/bin/env bash
# Start one Valrummet process per port (default 8501 8502) and keep them together: when one
# stops, the others are stopped too and the script exits with its code, so systemd or the
# container runtime restarts the lot. TERM/INT are passed on. Put nginx in front
# (deploy/nginx/valrummet.conf).
#
#   VALRUMMET_PORTS="8501 8502" deploy/run-backends.sh [extra `python -m dashboard serve` flags]
set -euo pipefail
cd "$(dirname "$0")/.."

PORTS=${VALRUMMET_PORTS:-"8501 8502"}
PYTHON=${PYTHON:-python3}
# The processes sit behind nginx on this host: believe its X-Real-IP (and nobody else's).
export VALRUMMET_TRUSTED_PROXIES=${VALRUMMET_TRUSTED_PROXIES-"127.0.0.1,::1"}
pids=()

stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait || true
}
trap 'stop; exit 143' TERM INT

for port in $PORTS; do
  "$PYTHON" -m dashboard serve --port "$port" "$@" &
  pids+=("$!")
done

set +e
wait -n
code=$?
set -e
echo "run-backends: en process avslutades (kod $code); stoppar de andra" >&2
stop
exit "$code"
