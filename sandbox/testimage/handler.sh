#!/bin/sh
# One HTTP/1.1 exchange on stdin/stdout. Environment:
#   BODY          text of the page (default: "slotline test app $APP_VERSION", the image's build arg)
#   /status/NNN   answers with that status, for known error counts
#   HEALTH_PATH   answered with 200 "healthy" (default /healthz)
#   FAILURE_MODE  none | slow (SLOW_MS delay) | error (500 everywhere) | never-healthy (health path 503)
#                 | crash-after (the container exits after CRASH_AFTER requests)
#   ERROR_RATE    a decimal 0..1 (default 0): that share of app requests answers 500, deterministically
#                 per container: app request n fails when floor(n*rate) > floor((n-1)*rate), so any 100
#                 app requests in a row at 0.05 hold exactly 5 errors. entrypoint.sh checks the value.
#   LATENCY_MS    whole ms (default 0): every app request waits that long before it answers
# App requests are all but the health path and /status/NNN: neither fails from ERROR_RATE nor waits
# LATENCY_MS, and only app requests advance the ERROR_RATE counter (/tmp/app-requests, under a lock,
# since nc runs one handler per connection in parallel). /tmp/requests counts everything, for CRASH_AFTER.
read -r method target _ || exit 0
length=0
while read -r line; do
  line=$(printf '%s' "$line" | tr -d '\r')
  [ -z "$line" ] && break
  case "$line" in [Cc]ontent-[Ll]ength:*) length=$(printf '%s' "${line#*:}" | tr -d ' ') ;; esac
done
[ "$length" -gt 0 ] 2>/dev/null && head -c "$length" >/dev/null
path="${target%%\?*}"

respond() {
  printf 'HTTP/1.1 %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %s\r\nX-Instance: %s\r\nConnection: close\r\n\r\n' \
    "$1" "${#2}" "$(hostname)"
  [ "$method" = HEAD ] || printf '%s' "$2"
}

printf x >>/tmp/requests
if [ "$FAILURE_MODE" = crash-after ] && [ "$(wc -c </tmp/requests)" -ge "${CRASH_AFTER:-100}" ]; then
  touch /tmp/crash
fi
[ "$FAILURE_MODE" = slow ] && usleep $(( ${SLOW_MS:-2000} * 1000 ))

# The number of this app request: mkdir is atomic, so it serves as the counter's lock.
next_app_request() {
  until mkdir /tmp/counter.lock 2>/dev/null; do usleep 1000; done
  n=$(( $(cat /tmp/app-requests 2>/dev/null || echo 0) + 1 ))
  echo "$n" >/tmp/app-requests
  rmdir /tmp/counter.lock
  echo "$n"
}

injected_error=false
if [ "$path" != "${HEALTH_PATH:-/healthz}" ] && [ "${path#/status/}" = "$path" ]; then
  if [ "${ERROR_RATE_NUM:-0}" -gt 0 ]; then
    n=$(next_app_request)
    num="${ERROR_RATE_NUM}"
    den="${ERROR_RATE_DEN:-1}"
    [ $(( n * num / den )) -gt $(( (n - 1) * num / den )) ] && injected_error=true
  fi
  [ "${LATENCY_US:-0}" -gt 0 ] && usleep "$LATENCY_US"
fi

if [ "$path" = "${HEALTH_PATH:-/healthz}" ]; then
  if [ "$FAILURE_MODE" = never-healthy ] || [ "$FAILURE_MODE" = error ]; then
    respond '503 Service Unavailable' 'unhealthy'
  else
    respond '200 OK' 'healthy'
  fi
elif [ "${path#/status/}" != "$path" ]; then
  code="${path#/status/}"
  respond "$code Status" "status $code"
elif [ "$FAILURE_MODE" = error ] || [ "$injected_error" = true ]; then
  respond '500 Internal Server Error' 'internal error'
else
  respond '200 OK' "${BODY:-slotline test app ${APP_VERSION}}"
fi
