#!/usr/bin/env bash
# Build a project image on this host from its Dockerfile and entrypoint (no registry needed); a no-op
# when the image was already built from the same recipe.
# Reads: TAG, RECIPE (hash of the inputs), DOCKERFILE, ENTRYPOINT_SH, BASE_IMAGE, PG_VERSION.
set -euo pipefail
: "${TAG:?}" "${RECIPE:?}" "${DOCKERFILE:?}" "${ENTRYPOINT_SH:?}" "${BASE_IMAGE:?}" "${PG_VERSION:?}"
if [ "$(docker image inspect -f '{{index .Config.Labels "paperless-ha.recipe"}}' "$TAG" 2>/dev/null)" = "$RECIPE" ]; then
    echo "$TAG is up to date" >&2
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s' "$DOCKERFILE" > "$dir/Dockerfile"
printf '%s' "$ENTRYPOINT_SH" > "$dir/entrypoint.sh"
chmod 0755 "$dir/entrypoint.sh"
docker build --label "paperless-ha.recipe=$RECIPE" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
    --build-arg "PG_VERSION=$PG_VERSION" -t "$TAG" "$dir" >&2
echo "built $TAG" >&2
