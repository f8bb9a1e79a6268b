#!/bin/sh
# PID 1 of the test app: serves HTTP with busybox nc (one forked handler per connection) and exits
# non-zero when the handler asks it to crash, so the container really dies.
# It checks ERROR_RATE and LATENCY_MS first: a value it cannot read stops the container with a message
# (exit 2), so a misconfigured test fails visibly instead of running without errors or latency.
port="${WEBSITES_PORT:-${PORT:-8080}}"
rm -f /tmp/crash /tmp/requests
rm -rf /tmp/counter.lock
echo 0 >/tmp/app-requests

# ERROR_RATE: a decimal from 0 to 1 with at most 9 decimals (0, 1, 0.05, .5, 1.0). The handler works in
# integers: the rate is ERROR_RATE_NUM / ERROR_RATE_DEN.
rate="${ERROR_RATE:-0}"
if ! printf '%s' "$rate" | grep -Eq '^(0|1|0?\.[0-9]{1,9}|1\.0{1,9})$'; then
  echo "test app: ERROR_RATE '$rate' is not a decimal from 0 to 1 (at most 9 decimals, e.g. 0.05)" >&2
  exit 2
fi
case "$rate" in
  *.*)
    whole="${rate%%.*}"
    fraction="${rate#*.}"
    ERROR_RATE_DEN=1
    i=0
    while [ "$i" -lt "${#fraction}" ]; do
      ERROR_RATE_DEN=$((ERROR_RATE_DEN * 10))
      i=$((i + 1))
    done
    # No leading zeros in shell arithmetic: they would be read as octal.
    fraction=$(printf '%s' "$fraction" | sed 's/^0*//')
    ERROR_RATE_NUM=$(( ${whole:-0} * ERROR_RATE_DEN + ${fraction:-0} ))
    ;;
  *)
    ERROR_RATE_DEN=1
    ERROR_RATE_NUM="$rate"
    ;;
esac
export ERROR_RATE_NUM ERROR_RATE_DEN

# LATENCY_MS: whole milliseconds, 0 or more (at most 9 digits).
latency="${LATENCY_MS:-0}"
if ! printf '%s' "$latency" | grep -Eq '^[0-9]{1,9}$'; then
  echo "test app: LATENCY_MS '$latency' is not a whole number of milliseconds (0 or more)" >&2
  exit 2
fi
latency=$(printf '%s' "$latency" | sed 's/^0*//')
LATENCY_US=$(( ${latency:-0} * 1000 ))
export LATENCY_US

nc -ll -p "$port" -e /app/handler.sh &
server=$!
trap 'kill "$server" 2>/dev/null; exit 0' TERM INT
echo "test app listening on $port (mode ${FAILURE_MODE:-none}, error rate ${rate}, latency ${LATENCY_MS:-0} ms)"
while kill -0 "$server" 2>/dev/null; do
  if [ -f /tmp/crash ]; then
    echo "crashing after ${CRASH_AFTER} requests" >&2
    kill -9 "$server"
    exit 3
  fi
  sleep 0.2
done
exit 1
