#!/usr/bin/env bash
# Through whichever node is primary: the application role and its database.
# Reads: PG_HOSTS (comma separated), PG_PORT, CA_CERT, SUPERUSER_PASSWORD, DB_NAME, APP_USER,
# APP_PASSWORD.
set -euo pipefail
: "${PG_HOSTS:?}" "${PG_PORT:?}" "${CA_CERT:?}" "${SUPERUSER_PASSWORD:?}" "${DB_NAME:?}" "${APP_USER:?}" "${APP_PASSWORD:?}"
cd /
# libpq reads the password from the environment, not from its arguments.
export PGPASSWORD="$SUPERUSER_PASSWORD"
conn="host=$PG_HOSTS port=$PG_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$CA_CERT target_session_attrs=read-write connect_timeout=5"
primary_answers() { psql "$conn" -qtAc "SELECT 1" >/dev/null 2>&1; }
wait_for "a primary among $PG_HOSTS to accept connections on port $PG_PORT" 150 2 primary_answers
psql "$conn" -v ON_ERROR_STOP=1 -q <<SQL
SELECT format('CREATE ROLE %I', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER')\gexec
ALTER ROLE "$APP_USER" WITH LOGIN NOSUPERUSER PASSWORD $(sql_quote "$APP_PASSWORD");
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
psql "$conn" -qtAc "SELECT inet_server_addr()"
