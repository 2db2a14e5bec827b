#!/usr/bin/env bash
# Before Paperless migrates the first node's database and the pgactive group grows from it: refuse
# when that database is in no group while another listed node's is in one. The first node is then a
# new host under an old name, and seeding it would start a second group beside the first; nothing
# has touched its database yet. A database already in the group passes at once.
# Reads: PG_PORT, DB_NAME, NODE_NAME, PEER_DSNS (the other listed nodes' DSNs, one a line).
set -euo pipefail
cd /
: "${PG_PORT:?}" "${DB_NAME:?}" "${NODE_NAME:?}"
PEER_DSNS=${PEER_DSNS:-}
# The group's members, "name status" a line; nothing where pgactive was never set up.
members() {
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA "$@" <<'SQL'
SELECT to_regclass('pgactive.pgactive_nodes') IS NOT NULL AS grouped \gset
\if :grouped
SELECT node_name || ' ' || node_status::text FROM pgactive.pgactive_nodes WHERE node_status <> 'k' ORDER BY 1;
\endif
SQL
}
own=$(members -p "$PG_PORT" -d "$DB_NAME")
if grep -q "^$NODE_NAME " <<< "$own"; then
    echo "$NODE_NAME"
    exit 0
fi
while IFS= read -r dsn; do
    [ -n "$dsn" ] || continue
    # As the replication user, by its .pgpass; connect_timeout bounds an unreachable peer.
    if ! group=$(members -d "$dsn connect_timeout=10" 2>&1); then
        echo "[$NODE_NAME] cannot tell whether the database at '${dsn%% port=*}' is in a pgactive group, so this node's database is not seeded: ${group##*$'\n'}" >&2
        exit 1
    fi
    if [ -n "$group" ]; then
        echo "[$NODE_NAME] this node's database is in no pgactive group, but the one at '${dsn%% port=*}' is, with: $(tr '\n' ' ' <<< "$group")" >&2
        echo "[$NODE_NAME] a new host under the first node's name would seed a second group: the first listed node cannot be replaced on pgactive yet. Nothing changed on this node's database." >&2
        exit 1
    fi
done <<< "$PEER_DSNS"
echo "$NODE_NAME"
