#!/bin/sh
# One HTTP/1.1 exchange on stdin/stdout. Environment:
#   BODY          text of the page (default: "slotline test app $APP_VERSION", the image's build arg)
#   /status/NNN   answers with that status, for known error counts
#   HEALTH_PATH   answered with 200 "healthy" (default /healthz)
#   FAILURE_MODE  none | slow (SLOW_MS delay) | error (500 everywhere) | never-healthy (health path 503)
#                 | crash-after (the container exits after CRASH_AFTER requests)
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

if [ "$path" = "${HEALTH_PATH:-/healthz}" ]; then
  if [ "$FAILURE_MODE" = never-healthy ] || [ "$FAILURE_MODE" = error ]; then
    respond '503 Service Unavailable' 'unhealthy'
  else
    respond '200 OK' 'healthy'
  fi
elif [ "${path#/status/}" != "$path" ]; then
  code="${path#/status/}"
  respond "$code Status" "status $code"
elif [ "$FAILURE_MODE" = error ]; then
  respond '500 Internal Server Error' 'internal error'
else
  respond '200 OK' "${BODY:-slotline test app ${APP_VERSION}}"
fi
