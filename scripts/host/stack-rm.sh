#!/usr/bin/env bash
# On a manager: remove one stack and wait, bounded, until its tasks are gone. Reads: STACK.
set -euo pipefail
: "${STACK:?}"
[ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = "true" ] || exit 0
docker stack rm "$STACK" >&2 || true
for _ in $(seq 1 60); do
    [ -z "$(docker stack ps -q "$STACK" 2>/dev/null)" ] && break
    sleep 2
done
rm -f "/etc/paperless-ha/stacks/$STACK.yml"
