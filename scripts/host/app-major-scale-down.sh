#!/usr/bin/env bash
# On a manager, before the migration of a major upgrade of Paperless-ngx (2.x to 3.x): every app
# service whose image is of an earlier major than APP_VERSION_WANT is scaled to no task, and this
# waits, bounded, until none runs. The stack's next deploy brings each back with the new image.
# Safe to re-run. Reads: STACK, SERVICE_PREFIX (what the app services' names start with), IMAGE (app.image: the release its
# version label names where this node has it, else APP_VERSION_WANT, the one its tag names),
# TIMEOUT (seconds).
set -euo pipefail
: "${STACK:?}" "${SERVICE_PREFIX:?}" "${IMAGE:?}" "${TIMEOUT:?}"
want=$(image_release "$IMAGE")
want=${want:-${APP_VERSION_WANT:-}}
[ -n "$want" ] || { echo "$IMAGE names no release: no major upgrade to prepare" >&2; exit 0; }
stopping=()
services=$(docker service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}}' 2>/dev/null || true)
for service in $services; do
    [[ "$service" == "$SERVICE_PREFIX"* ]] || continue
    image=$(docker service inspect -f '{{.Spec.TaskTemplate.ContainerSpec.Image}}' "$service" 2>/dev/null) || continue
    have=$(image_release "$image")
    older_major "$have" "$want" || continue
    swarm_cli service scale -d "$service=0" >/dev/null
    stopping+=("$service")
    echo "scaling $service (Paperless-ngx $have) to no task for the major upgrade to $want" >&2
done
[ "${#stopping[@]}" -gt 0 ] || { echo "no app service runs a major release before $want" >&2; exit 0; }
deadline=$((SECONDS + TIMEOUT))
for service in "${stopping[@]}"; do
    # A task told to shut down still counts until it no longer runs.
    while states=$(docker service ps --format '{{.CurrentState}}' "$service" 2>/dev/null) && grep -q '^Running' <<< "$states"; do
        [ "$SECONDS" -lt "$deadline" ] || { echo "$service still runs a task after ${TIMEOUT}s" >&2; exit 1; }
        sleep 2
    done
done
echo "every app service is stopped: ${stopping[*]}" >&2
