#!/usr/bin/env bash
# This node's PostgreSQL: certificates, settings, password file, roles and the empty database.
# Runs only after pgactive is present, so the preload setting can never stop the server.
# Reads: NODE_NAME, PG_VERSION, PG_PORT, TLS_DIR, SETTINGS, DB_NAME, APP_USER, REPL_USER,
#        SUPERUSER_PASSWORD, REPL_PASSWORD, APP_PASSWORD.
set -euo pipefail
: "${NODE_NAME:?}" "${PG_VERSION:?}" "${PG_PORT:?}" "${TLS_DIR:?}" "${SETTINGS:?}"
: "${DB_NAME:?}" "${APP_USER:?}" "${REPL_USER:?}" "${SUPERUSER_PASSWORD:?}" "${REPL_PASSWORD:?}" "${APP_PASSWORD:?}"
cd /
conf_dir="/etc/postgresql/$PG_VERSION/main"
[ -d "$conf_dir" ] || pg_createcluster "$PG_VERSION" main >&2

copy_node_tls "$TLS_DIR" postgres
install -d -o postgres -g postgres "$conf_dir/conf.d"
grep -q "^include_dir = 'conf.d'" "$conf_dir/postgresql.conf" || echo "include_dir = 'conf.d'" >> "$conf_dir/postgresql.conf"
put_file "$conf_dir/conf.d/90-paperless-ha.conf" 0644 "$SETTINGS" postgres
# pgactive's workers run as postgres and find peers' password here, so no DSN carries one.
put_file /var/lib/postgresql/.pgpass 0600 "*:$PG_PORT:$DB_NAME:$REPL_USER:$REPL_PASSWORD"$'\n' postgres
changed=0
[ "$TLS_CHANGED$FILE_CHANGED" = "00" ] || changed=1

systemctl enable "postgresql@$PG_VERSION-main" >/dev/null 2>&1 || true
if ! pg_ctlcluster "$PG_VERSION" main status >/dev/null 2>&1; then
    pg_ctlcluster "$PG_VERSION" main start >&2
elif [ "$changed" = "1" ]; then
    pg_ctlcluster "$PG_VERSION" main reload >&2
    sleep 1
    pending=$(runuser -u postgres -- psql -p "$PG_PORT" -tAc "SELECT count(*) FROM pg_settings WHERE pending_restart")
    if [ "$pending" != "0" ]; then
        echo "[$NODE_NAME] restarting PostgreSQL for $pending setting(s)" >&2
        pg_ctlcluster "$PG_VERSION" main restart >&2
    fi
fi
wait_for "PostgreSQL to accept connections on port $PG_PORT" 60 1 runuser -u postgres -- pg_isready -q -p "$PG_PORT"

# Passwords reach psql on stdin, never in its arguments.
runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$PG_PORT" -d postgres <<SQL
ALTER ROLE postgres PASSWORD $(sql_quote "$SUPERUSER_PASSWORD");
SELECT format('CREATE ROLE %I', '$REPL_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$REPL_USER')\gexec
ALTER ROLE "$REPL_USER" WITH LOGIN SUPERUSER REPLICATION PASSWORD $(sql_quote "$REPL_PASSWORD");
SELECT format('CREATE ROLE %I', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER')\gexec
ALTER ROLE "$APP_USER" WITH LOGIN NOSUPERUSER PASSWORD $(sql_quote "$APP_PASSWORD");
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
echo "[$NODE_NAME] PostgreSQL $PG_VERSION ready on port $PG_PORT" >&2
