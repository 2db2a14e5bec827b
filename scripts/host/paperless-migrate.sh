#!/usr/bin/env bash
# Run Django migrations once, in a throw-away container on the singleton node, before any
# Paperless instance starts. Reads: IMAGE, DATA_DIR, CA_CERT, PAPERLESS_CONF (a settings file
# Paperless loads through PAPERLESS_CONFIGURATION_PATH; it holds secrets, so it is never
# environment), REDIS_ADDRESS (host:port of the cluster's Redis) and REDIS_IMAGE.
# Paperless's cache reaches Redis during migrations. Where the cluster's Redis does not answer yet
# (a first deploy: in swarm it comes with the app stack), a throw-away one on a socket stands in:
# there is no cache yet to keep consistent.
set -euo pipefail
: "${IMAGE:?}" "${DATA_DIR:?}" "${CA_CERT:?}" "${PAPERLESS_CONF:?}" "${REDIS_ADDRESS:?}" "${REDIS_IMAGE:?}"
install -d -o 1000 -g 1000 -m 0750 "$DATA_DIR"
umask 077
conf=$(mktemp /run/paperless-ha-migrate.XXXXXX)
sock=/run/paperless-ha-migrate-redis
trap 'rm -f "$conf"; docker rm -f paperless-ha-migrate-redis >/dev/null 2>&1 || true; rm -rf "$sock"' EXIT
printf '%s' "$PAPERLESS_CONF" > "$conf"
chown 1000:1000 "$conf"
redis_host=${REDIS_ADDRESS%:*} redis_host=${redis_host#[} redis_host=${redis_host%]}
redis=()
if ! timeout 3 bash -c "exec 3<>/dev/tcp/$redis_host/${REDIS_ADDRESS##*:}" 2>/dev/null; then
    echo "Redis at $REDIS_ADDRESS does not answer yet: migrating with a throw-away one" >&2
    docker rm -f paperless-ha-migrate-redis >/dev/null 2>&1 || true
    rm -rf "$sock"
    install -d -m 0755 "$sock"
    docker run -d --rm --name paperless-ha-migrate-redis -v "$sock:/sock" "$REDIS_IMAGE" redis-server --port 0 \
        --unixsocket /sock/redis.sock --unixsocketperm 777 --save '' --appendonly no >/dev/null
    for _ in $(seq 1 30); do [ -S "$sock/redis.sock" ] && break; sleep 1; done
    [ -S "$sock/redis.sock" ] || { echo "the throw-away Redis did not start in 30 s" >&2; exit 1; }
    # Environment wins over the settings file; this URL holds no secret.
    redis=(-v "$sock:/sock" -e PAPERLESS_REDIS=unix:///sock/redis.sock)
fi
migrate() {
    timeout 900 docker run --rm --network host --user 1000:1000 "${redis[@]}" \
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
