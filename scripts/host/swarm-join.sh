#!/usr/bin/env bash
# Join this node to the swarm (once) and print its swarm node ID.
# Reads: JOIN_TOKEN, MANAGER_ADDR, ADVERTISE_ADDR, NODE_NAME.
set -euo pipefail
: "${JOIN_TOKEN:?}" "${MANAGER_ADDR:?}" "${ADVERTISE_ADDR:?}" "${NODE_NAME:?}"
swarm_join "$JOIN_TOKEN" "$MANAGER_ADDR" "$ADVERTISE_ADDR" "$NODE_NAME"
docker info -f '{{.Swarm.NodeID}}'
