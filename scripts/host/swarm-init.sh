#!/usr/bin/env bash
# Make this node the swarm's first manager, once: it creates the swarm, or, given a manager token
# (its host replaced a lost one, see swarm-rejoin.sh), joins the running swarm through JOIN_ADDR and
# lets go of the lost host's entry. Labels it with its name and as the first node, and prints the
# join tokens as JSON on stdout (a secret output).
# Reads: ADVERTISE_ADDR, NODE_NAME, NODE_LABEL, FIRST_LABEL, MANAGER_TOKEN (may be empty), JOIN_ADDR.
set -euo pipefail
: "${ADVERTISE_ADDR:?}" "${NODE_NAME:?}" "${NODE_LABEL:?}" "${FIRST_LABEL:?}"
MANAGER_TOKEN=$(printf '%s' "${MANAGER_TOKEN:-}" | tr -d '[:space:]')
if [ -n "$MANAGER_TOKEN" ]; then
    : "${JOIN_ADDR:?}"
    swarm_join "$MANAGER_TOKEN" "$JOIN_ADDR" "$ADVERTISE_ADDR" "$NODE_NAME"
else
    state=$(docker info -f '{{.Swarm.LocalNodeState}}')
    case "$state" in
        active) echo "swarm already active on $NODE_NAME" >&2 ;;
        inactive) docker swarm init --advertise-addr "$ADVERTISE_ADDR" --listen-addr "$ADVERTISE_ADDR:2377" >&2 ;;
        *) echo "swarm state on $NODE_NAME is '$state'; resolve it (docker swarm leave --force) and re-run" >&2; exit 1 ;;
    esac
fi
if [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" != "true" ]; then
    echo "$NODE_NAME is in a swarm but not a manager of it; it must be the first manager" >&2
    exit 1
fi
self=$(docker info -f '{{.Swarm.NodeID}}')
swarm_cli node update --label-add "$NODE_LABEL=$NODE_NAME" --label-add "$FIRST_LABEL=true" "$self" >/dev/null
swarm_release "$NODE_NAME" "$NODE_LABEL" "$self"
printf '{"manager":"%s","worker":"%s"}\n' "$(swarm_cli swarm join-token -q manager)" "$(swarm_cli swarm join-token -q worker)"
