#!/usr/bin/env bash
# Before this node's app instance is replaced: its drain agent tells every HAProxy to send it no new
# request; wait until this node's HAProxy shows it drained and has no request in flight to it, then
# a few agent intervals more for the other nodes' HAProxy, which ask on the same schedule. Requests
# already running finish: the instance is stopped, not killed. Nothing to wait for when no instance
# runs here yet. Reads: STATE_FILE, SERVER, STATS_URL, APP_CONTAINER (its name), NEXT (what the
# instance becomes: a change re-runs this step), SETTLE and TIMEOUT (seconds).
set -euo pipefail
: "${STATE_FILE:?}" "${SERVER:?}" "${STATS_URL:?}" "${APP_CONTAINER:?}" "${NEXT:?}" "${SETTLE:?}" "${TIMEOUT:?}"
install -d -m 0755 "$(dirname "$STATE_FILE")"
put_file "$STATE_FILE" 0644 $'drain\n'
if [ "$(docker inspect -f '{{.State.Running}}' "$APP_CONTAINER" 2>/dev/null)" != true ]; then
    echo "no app instance runs on this node yet: nothing to drain" >&2
    exit 0
fi
# CSV columns: pxname, svname, qcur, qmax, scur (5th), ..., status (18th).
server_stat() { curl -fsS -m 5 "$STATS_URL" 2>/dev/null | awk -F, -v s="$SERVER" -v f="$1" '$1 == "paperless" && $2 == s { print $f }'; }
deadline=$((SECONDS + TIMEOUT))
status="" busy=""
while [ "$SECONDS" -lt "$deadline" ]; do
    status=$(server_stat 18)
    busy=$(server_stat 5)
    case "$status" in
        DRAIN*|DOWN*|MAINT*) [ "$busy" = 0 ] && break ;;
    esac
    sleep 0.5
done
if [ "$SECONDS" -ge "$deadline" ]; then
    echo "HAProxy on this node still reports $SERVER as '${status:-absent}' with ${busy:-?} requests in flight after ${TIMEOUT}s of draining" >&2
    exit 1
fi
sleep "$SETTLE"
echo "$SERVER drained: no HAProxy sends it new requests" >&2
