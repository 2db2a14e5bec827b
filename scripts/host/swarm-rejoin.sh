#!/usr/bin/env bash
# On the second manager, before anything changes: when the first node's host is lost for good and
# a new host took its name, print a manager join token for it (a secret output), so that the new
# host joins the running swarm instead of creating another. Prints nothing on bare hosts or while
# the first node is in its place; refuses while the manager under the first name still answers.
# Reads: FIRST_NAME, FIRST_ADDR (its address now), NODE_LABEL.
set -euo pipefail
: "${FIRST_NAME:?}" "${FIRST_ADDR:?}" "${NODE_LABEL:?}"
if ! command -v docker >/dev/null || [ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" != "true" ]; then
    echo "no swarm manager here: $FIRST_NAME creates the swarm" >&2
    exit 0
fi
lost=
for id in $(docker node ls -q --filter "node.label=$NODE_LABEL=$FIRST_NAME"); do
    read -r addr reach < <(docker node inspect -f '{{with .ManagerStatus}}{{.Addr}} {{.Reachability}}{{end}}' "$id")
    addr=${addr%:*} addr=${addr#[} addr=${addr%]}
    if [ "$addr" = "$FIRST_ADDR" ]; then
        echo "$FIRST_NAME at $FIRST_ADDR is in the swarm" >&2
        exit 0
    fi
    if [ "$reach" != "unreachable" ]; then
        echo "$FIRST_NAME is listed at $FIRST_ADDR, but its swarm manager at ${addr:-?} still answers: a first node moves only when its host is lost for good" >&2
        exit 1
    fi
    lost=$addr
done
echo "$FIRST_NAME's host${lost:+ at $lost} is lost: its new host at $FIRST_ADDR joins the swarm as a manager through $(hostname)" >&2
docker swarm join-token -q manager
