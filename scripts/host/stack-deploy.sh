#!/usr/bin/env bash
# On a manager: deploy one stack and wait, bounded, until every service runs all its tasks and no
# update is in flight. Reads: STACK, STACK_YAML, TIMEOUT (seconds).
set -euo pipefail
: "${STACK:?}" "${STACK_YAML:?}" "${TIMEOUT:?}"
dir=/etc/paperless-ha/stacks
install -d -m 0700 "$dir"
file="$dir/$STACK.yml"
printf '%s' "$STACK_YAML" > "$file.new"
mv "$file.new" "$file"
# Images are built or loaded on the hosts: never ask a registry for a digest.
docker stack deploy --prune --resolve-image never -c "$file" "$STACK" >&2

unconverged() {
    local name replicas state
    while read -r name replicas; do
        state=$(docker service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$name")
        case "$state" in updating|rollback_started|paused|rollback_paused) echo "$name (update $state)"; continue ;; esac
        [ "${replicas%%/*}" = "${replicas#*/}" ] && [ "${replicas#*/}" != "0" ] || echo "$name ($replicas)"
    done < <(docker stack services "$STACK" --format '{{.Name}} {{.Replicas}}' | awk '{print $1, $2}')
}
deadline=$((SECONDS + TIMEOUT))
while :; do
    pending=$(unconverged)
    [ -z "$pending" ] && break
    if [ "$SECONDS" -ge "$deadline" ]; then
        echo "stack $STACK did not converge within ${TIMEOUT}s; waiting on: $pending" >&2
        docker stack ps --no-trunc --filter desired-state=running "$STACK" >&2 || true
        docker stack ps --no-trunc --format '{{.Name}} {{.Node}} {{.CurrentState}} {{.Error}}' "$STACK" | head -20 >&2 || true
        exit 1
    fi
    sleep 3
done
echo "stack $STACK converged: $(docker stack services "$STACK" --format '{{.Name}}={{.Replicas}}' | tr '\n' ' ')" >&2
