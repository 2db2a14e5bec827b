#!/usr/bin/env bash
# On a manager: remove one stack and wait, bounded, until its tasks are gone. Reads: STACK.
set -euo pipefail
: "${STACK:?}"
[ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = "true" ] || exit 0
docker stack rm "$STACK" >&2 || true
stack_gone() { [ -z "$(docker stack ps -q "$STACK" 2>/dev/null)" ]; }
wait_for "the tasks of stack $STACK to go" 60 2 stack_gone
rm -f "/etc/paperless-ha/stacks/$STACK.yml"
