#!/usr/bin/env bash
# Run Django migrations once, in a throw-away container on the singleton node, before any
# Paperless instance starts. Reads: IMAGE, DATA_DIR, CA_CERT, PAPERLESS_CONF (a settings file
# Paperless loads through PAPERLESS_CONFIGURATION_PATH; it holds secrets, so it is never
# environment). Paperless's cache reaches the Redis master through the node's HAProxy meanwhile.
set -euo pipefail
: "${IMAGE:?}" "${DATA_DIR:?}" "${CA_CERT:?}" "${PAPERLESS_CONF:?}"
install -d -o 1000 -g 1000 -m 0750 "$DATA_DIR"
umask 077
conf=$(mktemp /run/paperless-ha-migrate.XXXXXX)
trap 'rm -f "$conf"' EXIT
printf '%s' "$PAPERLESS_CONF" > "$conf"
chown 1000:1000 "$conf"
migrate() {
    timeout 900 docker run --rm --network host --user 1000:1000 \
        -e PAPERLESS_CONFIGURATION_PATH=/run/paperless-ha/paperless.conf \
        -v "$conf:/run/paperless-ha/paperless.conf:ro" \
        -v "$DATA_DIR:/usr/src/paperless/data" -v "$CA_CERT:/run/paperless-ha/ca.crt:ro" \
        --workdir /usr/src/paperless/src --entrypoint python3 "$IMAGE" manage.py migrate --no-input >&2
}
# The database may still be settling (a router marking its primary up, a failover); migrations
# are idempotent, so a bounded number of tries is safe.
for attempt in $(seq 1 20); do
    if migrate; then
        echo "migrations applied with $IMAGE" >&2
        exit 0
    fi
    echo "migration attempt $attempt failed; retrying" >&2
    sleep 3
done
echo "migrations failed 20 times; see above" >&2
exit 1
