#!/usr/bin/env bash
# Join this node's (empty) database to the pgactive group through the first node, or confirm it
# already joined; an interrupted join is waited for, not repeated.
# Reads: PG_PORT, DB_NAME, NODE_NAME, NODE_DSN, JOIN_DSN, APP_USER.
set -euo pipefail
cd /
: "${PG_PORT:?}" "${DB_NAME:?}" "${NODE_NAME:?}" "${NODE_DSN:?}" "${JOIN_DSN:?}" "${APP_USER:?}"
psql_db() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "$PG_PORT" -d "$DB_NAME" "$@"; }
node_status() {
    psql_db -v name="$NODE_NAME" <<'SQL'
SELECT node_status FROM pgactive.pgactive_nodes WHERE node_name = :'name';
SQL
}
psql_db -c "CREATE EXTENSION IF NOT EXISTS pgactive" >&2
status=$(node_status)
if [ "$status" = "k" ]; then
    echo "pgactive node $NODE_NAME was detached from the group; remove pgactive from it (pgactive_remove) before it can join again" >&2
    exit 1
fi
if [ -z "$status" ]; then
    psql_db -v name="$NODE_NAME" -v dsn="$NODE_DSN" -v upstream="$JOIN_DSN" >&2 <<'SQL'
SELECT pgactive.pgactive_join_group(node_name := :'name', node_dsn := :'dsn', join_using_dsn := :'upstream');
SQL
fi
psql_db -c "SELECT pgactive.pgactive_wait_for_node_ready(timeout := 900)" >&2
pgactive_grant_handlers "$PG_PORT" "$DB_NAME" "$APP_USER"
status=$(node_status)
if [ "$status" != "r" ]; then
    echo "pgactive node $NODE_NAME is in state '$status', not ready (r)" >&2
    exit 1
fi
echo "$NODE_NAME"
