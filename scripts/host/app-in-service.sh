#!/usr/bin/env bash
# Wait until this node's HAProxy sends traffic to this node's app again (after a new container):
# a rolling update moves on to the next node only then, so the balancer never runs out of servers.
# Reads: SERVER (the backend server name), STATS_URL (HAProxy's CSV stats on loopback), CONTAINER
# (the container's id: a new one re-runs this step), TIMEOUT (seconds).
set -euo pipefail
: "${SERVER:?}" "${STATS_URL:?}" "${CONTAINER:?}" "${TIMEOUT:?}"
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
