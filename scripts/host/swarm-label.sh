#!/usr/bin/env bash
# On a manager: wait for a joined node to be ready and give it the label services are pinned by.
# Reads: NODE_ID, NODE_NAME, NODE_LABEL.
set -euo pipefail
: "${NODE_ID:?}" "${NODE_NAME:?}" "${NODE_LABEL:?}"
NODE_ID=$(printf '%s' "$NODE_ID" | tr -d '[:space:]')
for _ in $(seq 1 60); do
    [ "$(docker node inspect -f '{{.Status.State}}' "$NODE_ID" 2>/dev/null)" = "ready" ] && break
    sleep 2
done
docker node update --label-add "$NODE_LABEL=$NODE_NAME" "$NODE_ID" >/dev/null
echo "labelled $NODE_NAME ($NODE_ID) as $(docker node inspect -f '{{.Spec.Role}}' "$NODE_ID")" >&2
