#!/usr/bin/env bash
# After this node's app instance was (re)made: its drain agent tells every HAProxy it takes requests
# again; wait until this node's HAProxy sends it traffic. A rolling update moves on to the next node
# only then, so the balancer never runs out of servers.
# Reads: STATE_FILE, SERVER, STATS_URL (HAProxy's CSV stats on loopback), CONTAINER (the
# container's id) and NEXT (what the drain step drained for; a change of either re-runs this step),
# TIMEOUT (seconds).
set -euo pipefail
: "${STATE_FILE:?}" "${SERVER:?}" "${STATS_URL:?}" "${CONTAINER:?}" "${NEXT:?}" "${TIMEOUT:?}"
install -d -m 0755 "$(dirname "$STATE_FILE")"
put_file "$STATE_FILE" 0644 $'ready\n'
deadline=$((SECONDS + TIMEOUT))
status=""
while [ "$SECONDS" -lt "$deadline" ]; do
    # CSV columns: pxname, svname, ..., status is the 18th.
    status=$(curl -fsS -m 5 "$STATS_URL" 2>/dev/null | awk -F, -v s="$SERVER" '$1 == "paperless" && $2 == s { print $18 }')
    if [ "$status" = UP ]; then
        echo "$SERVER is in service behind HAProxy" >&2
        exit 0
    fi
    sleep 1
done
echo "HAProxy on this node still reports $SERVER as '${status:-absent}' after ${TIMEOUT}s (container ${CONTAINER:0:12})" >&2
exit 1
