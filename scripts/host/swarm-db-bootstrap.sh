#!/usr/bin/env bash
# Through the node's router to the Patroni leader, in a throw-away container of the Patroni image:
# the application, filer and metrics roles and their databases. The superuser's password reaches
# psql in a password file mounted into the container, never on a command line or in its
# environment (which `docker inspect` shows).
# Reads: IMAGE, ROUTER_PORT, TLS_DIR, SUPERUSER_PASSWORD, DB_NAME, APP_USER, APP_PASSWORD,
#        FILER_DB, FILER_USER, FILER_PASSWORD, METRICS_USER, METRICS_PASSWORD.
set -euo pipefail
: "${IMAGE:?}" "${ROUTER_PORT:?}" "${TLS_DIR:?}" "${SUPERUSER_PASSWORD:?}" "${DB_NAME:?}" "${APP_USER:?}" "${APP_PASSWORD:?}"
: "${FILER_DB:?}" "${FILER_USER:?}" "${FILER_PASSWORD:?}" "${METRICS_USER:?}" "${METRICS_PASSWORD:?}"
passfile=$(mktemp /root/.paperless-ha-pgpass.XXXXXX)
trap 'rm -f "$passfile"' EXIT
# .pgpass fields: host:port:database:user:password, with : and \ escaped.
printf '*:*:*:postgres:%s\n' "$(printf '%s' "$SUPERUSER_PASSWORD" | sed 's/[\\:]/\\&/g')" > "$passfile"
conn="host=127.0.0.1 port=$ROUTER_PORT user=postgres dbname=postgres sslmode=verify-ca sslrootcert=/tls/ca.crt connect_timeout=5"
psql_leader() {
    docker run --rm -i --network host -e PGPASSFILE=/tls/pgpass -v "$TLS_DIR/ca.crt:/tls/ca.crt:ro" -v "$passfile:/tls/pgpass:ro" \
        --entrypoint psql "$IMAGE" "$conn" "$@"
}
# </dev/null: this script itself arrives on stdin.
leader_writable() { [ "$(psql_leader -qtAc 'SELECT NOT pg_is_in_recovery()' </dev/null 2>/dev/null)" = "t" ]; }
wait_for "a writable Patroni leader through the router on port $ROUTER_PORT" 90 2 leader_writable
role() { # role NAME PASSWORD EXTRA
    cat <<SQL
SELECT format('CREATE ROLE %I', '$1') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1')\gexec
ALTER ROLE "$1" WITH LOGIN NOSUPERUSER $3 PASSWORD $(sql_quote "$2");
SQL
}
database() { # database NAME OWNER
    echo "SELECT format('CREATE DATABASE %I OWNER %I', '$1', '$2') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$1')\\gexec"
}
{
    role "$APP_USER" "$APP_PASSWORD" ""
    database "$DB_NAME" "$APP_USER"
    role "$FILER_USER" "$FILER_PASSWORD" ""
    database "$FILER_DB" "$FILER_USER"
    role "$METRICS_USER" "$METRICS_PASSWORD" ""
    echo "GRANT pg_monitor TO \"$METRICS_USER\";"
} | psql_leader -v ON_ERROR_STOP=1 -q
echo "roles and databases present on the leader" >&2
