#!/usr/bin/env bash
# Join this node to the swarm (once) and print its swarm node ID. The token goes to dockerd's API
# on stdin, never onto a command line. Reads: JOIN_TOKEN, MANAGER_ADDR, ADVERTISE_ADDR, NODE_NAME.
set -euo pipefail
: "${JOIN_TOKEN:?}" "${MANAGER_ADDR:?}" "${ADVERTISE_ADDR:?}" "${NODE_NAME:?}"
state=$(docker info -f '{{.Swarm.LocalNodeState}}')
if [ "$state" = "error" ] || [ "$state" = "pending" ]; then
    # An interrupted join: start over.
    docker swarm leave --force >&2 || true
    state=inactive
fi
if [ "$state" = "inactive" ]; then
    printf '{"ListenAddr":"%s:2377","AdvertiseAddr":"%s","RemoteAddrs":["%s"],"JoinToken":"%s"}' \
        "$ADVERTISE_ADDR" "$ADVERTISE_ADDR" "$MANAGER_ADDR" "$JOIN_TOKEN" |
        curl -fsS --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' \
            --data-binary @- http://localhost/swarm/join >&2
    echo "$NODE_NAME joined the swarm through $MANAGER_ADDR" >&2
fi
for _ in $(seq 1 60); do
    [ "$(docker info -f '{{.Swarm.LocalNodeState}}')" = "active" ] && break
    sleep 1
done
id=$(docker info -f '{{.Swarm.NodeID}}')
[ -n "$id" ] || { echo "$NODE_NAME did not become active in the swarm" >&2; exit 1; }
echo "$id"
