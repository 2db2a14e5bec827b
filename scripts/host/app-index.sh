#!/usr/bin/env bash
# After this node's app instance was (re)made: it rebuilds its search index when the app moved to
# another major release (see reindex_after_major); behind HAProxy, before it takes requests again.
# Reads: CONTAINER (classic: the instance's container id, whose change re-runs this step) or SERVICE
# (swarm: this node's app service, with IMAGE whose change re-runs it), INDEX_RECORD, TIMEOUT
# (seconds to wait for a healthy swarm task). The release is the one the running image's version
# label names, so an image named by a digest counts as well.
set -euo pipefail
: "${INDEX_RECORD:?}" "${TIMEOUT:?}"
container=${CONTAINER:-}
if [ -z "$container" ]; then
    : "${SERVICE:?CONTAINER or SERVICE}"
    deadline=$((SECONDS + TIMEOUT))
    while :; do
        container=$(docker ps -q --filter "label=com.docker.swarm.service.name=$SERVICE" --filter health=healthy | head -n 1)
        [ -z "$container" ] || break
        [ "$SECONDS" -lt "$deadline" ] || { echo "no healthy task of $SERVICE runs on this node after ${TIMEOUT}s" >&2; exit 1; }
        sleep 2
    done
fi
release=$(image_release "$(docker inspect -f '{{.Image}}' "$container")")
[ -n "$release" ] || { echo "the app's image carries no release label: nothing to compare the search index with" >&2; exit 0; }
reindex_after_major "$container" "${release%%.*}" "$INDEX_RECORD"
