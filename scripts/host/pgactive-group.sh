#!/usr/bin/env bash
# Make this node's database the first member of the pgactive group, or confirm it already is.
# Reads: PG_PORT, DB_NAME, NODE_NAME, NODE_DSN.
set -euo pipefail
cd /
: "${PG_PORT:?}" "${DB_NAME:?}" "${NODE_NAME:?}" "${NODE_DSN:?}"
psql_db() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "$PG_PORT" -d "$DB_NAME" "$@"; }
psql_db -c "CREATE EXTENSION IF NOT EXISTS pgactive" >&2
status=$(psql_db -v name="$NODE_NAME" <<'SQL'
SELECT node_status FROM pgactive.pgactive_nodes WHERE node_name = :'name';
SQL
)
if [ -z "$status" ]; then
    psql_db -v name="$NODE_NAME" -v dsn="$NODE_DSN" >&2 <<'SQL'
SELECT pgactive.pgactive_create_group(node_name := :'name', node_dsn := :'dsn');
SQL
fi
psql_db -c "SELECT pgactive.pgactive_wait_for_node_ready(timeout := 600)" >&2
status=$(psql_db -v name="$NODE_NAME" <<'SQL'
SELECT node_status FROM pgactive.pgactive_nodes WHERE node_name = :'name';
SQL
)
if [ "$status" != "r" ]; then
    echo "pgactive node $NODE_NAME is in state '$status', not ready (r)" >&2
    exit 1
fi
echo "$NODE_NAME"
