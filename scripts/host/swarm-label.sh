#!/usr/bin/env bash
# On a manager: wait for a joined node to be ready and give it the label services are pinned by;
# then let go of any other swarm node under that name (a lost host replaced by a new one). With an
# empty NODE_ID (the node left the list) every one under the name goes (lib.sh's swarm_release).
# Reads: NODE_ID, NODE_NAME, NODE_LABEL.
set -euo pipefail
: "${NODE_NAME:?}" "${NODE_LABEL:?}"
NODE_ID=$(printf '%s' "${NODE_ID:-}" | tr -d '[:space:]')
if [ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" != "true" ]; then
    [ -n "$NODE_ID" ] || { echo "no swarm here: nothing to remove for $NODE_NAME" >&2; exit 0; }
    echo "this node is not a swarm manager: cannot label $NODE_NAME" >&2
    exit 1
fi

if [ -n "$NODE_ID" ]; then
    node_ready() { [ "$(docker node inspect -f '{{.Status.State}}' "$NODE_ID" 2>/dev/null)" = "ready" ]; }
    wait_for "swarm node $NODE_NAME ($NODE_ID) to be ready" 60 2 node_ready
    swarm_cli node update --label-add "$NODE_LABEL=$NODE_NAME" "$NODE_ID" >/dev/null
    echo "labelled $NODE_NAME ($NODE_ID) as $(docker node inspect -f '{{.Spec.Role}}' "$NODE_ID")" >&2
fi
swarm_release "$NODE_NAME" "$NODE_LABEL" "$NODE_ID"
