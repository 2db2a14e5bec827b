#!/usr/bin/env bash
# Build a project image on this host from its Dockerfile and entrypoint (no registry needed); a no-op
# when the image was already built from the same recipe and a container can still be made from it.
# Reads: TAG, RECIPE (hash of the inputs), DOCKERFILE, ENTRYPOINT_SH, BASE_IMAGE, PG_VERSION.
set -euo pipefail
: "${TAG:?}" "${RECIPE:?}" "${DOCKERFILE:?}" "${ENTRYPOINT_SH:?}" "${BASE_IMAGE:?}" "${PG_VERSION:?}"
# A container is created (never started) from the image: an image whose layers the engine lost,
# say after an unclean stop, still inspects fine but every task from it is rejected.
usable() {
    local id
    id=$(docker create --entrypoint /bin/true "$TAG" 2>/dev/null) || return 1
    docker rm "$id" >/dev/null
}
if [ "$(docker image inspect -f '{{index .Config.Labels "paperless-ha.recipe"}}' "$TAG" 2>/dev/null)" = "$RECIPE" ] && usable; then
    echo "$TAG is up to date" >&2
    exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
printf '%s' "$DOCKERFILE" > "$dir/Dockerfile"
printf '%s' "$ENTRYPOINT_SH" > "$dir/entrypoint.sh"
chmod 0755 "$dir/entrypoint.sh"
build() {
    docker build "$@" --label "paperless-ha.recipe=$RECIPE" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        --build-arg "PG_VERSION=$PG_VERSION" -t "$TAG" "$dir" >&2
}
build
if ! usable; then
    echo "no container can be created from the new $TAG; removing it and building again without cache" >&2
    docker image rm -f "$TAG" >/dev/null 2>&1 || true
    build --no-cache
    if ! usable; then
        echo "no container can be created from $TAG or $BASE_IMAGE's layers; see 'journalctl -u docker'" >&2
        exit 1
    fi
fi
echo "built $TAG" >&2
