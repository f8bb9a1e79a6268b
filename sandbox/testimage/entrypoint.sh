#!/bin/sh
# PID 1 of the test app: serves HTTP with busybox nc (one forked handler per connection) and exits
# non-zero when the handler asks it to crash, so the container really dies.
port="${WEBSITES_PORT:-${PORT:-8080}}"
rm -f /tmp/crash /tmp/requests
nc -ll -p "$port" -e /app/handler.sh &
server=$!
trap 'kill "$server" 2>/dev/null; exit 0' TERM INT
echo "test app listening on $port (mode ${FAILURE_MODE:-none})"
while kill -0 "$server" 2>/dev/null; do
  if [ -f /tmp/crash ]; then
    echo "crashing after ${CRASH_AFTER} requests" >&2
    kill -9 "$server"
    exit 3
  fi
  sleep 0.2
done
exit 1
