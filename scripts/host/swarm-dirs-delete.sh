#!/usr/bin/env bash
# Data kept on destroy (RETAIN=1) is set aside; scratch state is removed. The stack using them is
# gone by now, but its containers on this node may still be stopping: nothing moves until they have.
# Reads: STACK, KEEP (paths, one per line), SCRATCH (paths), RETAIN.
set -euo pipefail
containers_gone() { [ -z "$(docker ps -q --filter "label=com.docker.stack.namespace=${STACK:?}" 2>/dev/null)" ]; }
wait_for "this node's containers of stack $STACK to stop" 60 2 containers_gone
while read -r path; do
    if [ -n "$path" ]; then retire_owned "$path" "${RETAIN:-1}"; fi
done <<< "${KEEP:-}"
while read -r path; do
    if [ -n "$path" ]; then retire_owned "$path" 0; fi
done <<< "${SCRATCH:-}"
