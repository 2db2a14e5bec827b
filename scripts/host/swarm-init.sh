#!/usr/bin/env bash
# Make this node the swarm's first manager (once), label it, and print the join tokens as JSON on
# stdout (a secret output). Reads: ADVERTISE_ADDR, NODE_NAME, NODE_LABEL.
set -euo pipefail
: "${ADVERTISE_ADDR:?}" "${NODE_NAME:?}" "${NODE_LABEL:?}"
state=$(docker info -f '{{.Swarm.LocalNodeState}}')
case "$state" in
    active) echo "swarm already active on $NODE_NAME" >&2 ;;
    inactive) docker swarm init --advertise-addr "$ADVERTISE_ADDR" --listen-addr "$ADVERTISE_ADDR:2377" >&2 ;;
    *) echo "swarm state on $NODE_NAME is '$state'; resolve it (docker swarm leave --force) and re-run" >&2; exit 1 ;;
esac
if [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" != "true" ]; then
    echo "$NODE_NAME is in a swarm but not a manager of it; it must be the first manager" >&2
    exit 1
fi
docker node update --label-add "$NODE_LABEL=$NODE_NAME" "$(docker info -f '{{.Swarm.NodeID}}')" >/dev/null
printf '{"manager":"%s","worker":"%s"}\n' "$(docker swarm join-token -q manager)" "$(docker swarm join-token -q worker)"
