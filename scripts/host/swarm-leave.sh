#!/usr/bin/env bash
# Leave the swarm; a no-op when this node is in none. Containers of tasks stopped here (a drain
# leaves them for the task history) mean nothing outside the swarm and go too.
set -euo pipefail
if [ "$(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != "inactive" ]; then
    docker swarm leave --force >&2 || true
fi
leftovers=$(docker ps -aq --filter label=com.docker.swarm.task.id 2>/dev/null || true)
# shellcheck disable=SC2086 # one ID per word
[ -z "$leftovers" ] || docker rm -f $leftovers >/dev/null
