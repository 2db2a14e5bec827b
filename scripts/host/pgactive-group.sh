#!/usr/bin/env bash
# Make this node's database the first member of the pgactive group, or confirm it already is; then
# detach the members whose nodes are no longer listed (a detached node is never rejoined under its
# old identity: its database is set aside when the node is torn down).
# Reads: PG_PORT, DB_NAME, NODE_NAME, NODE_DSN, MEMBERS (every listed data node's name), APP_USER.
set -euo pipefail
cd /
: "${PG_PORT:?}" "${DB_NAME:?}" "${NODE_NAME:?}" "${NODE_DSN:?}" "${MEMBERS:?}" "${APP_USER:?}"
psql_db() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "$PG_PORT" -d "$DB_NAME" "$@"; }
# Only when missing: on a running group any DDL, IF NOT EXISTS too, waits for pgactive's global
# DDL lock, which every member must grant, a lost one too.
[ -n "$(psql_db -c "SELECT 1 FROM pg_extension WHERE extname = 'pgactive'")" ] || psql_db -c "CREATE EXTENSION pgactive" >&2
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
pgactive_grant_handlers "$PG_PORT" "$DB_NAME" "$APP_USER"
status=$(psql_db -v name="$NODE_NAME" <<'SQL'
SELECT node_status FROM pgactive.pgactive_nodes WHERE node_name = :'name';
SQL
)
if [ "$status" != "r" ]; then
    echo "pgactive node $NODE_NAME is in state '$status', not ready (r)" >&2
    exit 1
fi
gone=$(psql_db -v members="$MEMBERS" <<'SQL'
SELECT string_agg(node_name, ' ' ORDER BY node_name) FROM pgactive.pgactive_nodes
WHERE node_status <> 'k' AND node_name <> ALL (string_to_array(:'members', ' '));
SQL
)
if [ -n "$gone" ]; then
    echo "detaching pgactive nodes no longer listed: $gone" >&2
    psql_db -v gone="$gone" >&2 <<'SQL'
SELECT pgactive.pgactive_detach_nodes(string_to_array(:'gone', ' '));
SQL
fi
echo "$NODE_NAME"
