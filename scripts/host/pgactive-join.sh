#!/usr/bin/env bash
# Join this node's (empty) database to the pgactive group through the first node, or confirm it
# already joined; an interrupted join is waited for, not repeated. A member of the group under this
# name while this database is in none is this node's lost predecessor (its host was replaced): it is
# detached first, through the first node, and its entry removed, or the group would refuse the name.
# Ready means linked: every member streams to every other one before the step ends.
# Reads: PG_PORT, DB_NAME, NODE_NAME, NODE_DSN, JOIN_DSN, APP_USER; SLOT_DROP_TRIES and LINK_TRIES
# (seconds, 120 each).
set -euo pipefail
cd /
SLOT_DROP_TRIES=${SLOT_DROP_TRIES:-120}
LINK_TRIES=${LINK_TRIES:-120}
: "${PG_PORT:?}" "${DB_NAME:?}" "${NODE_NAME:?}" "${NODE_DSN:?}" "${JOIN_DSN:?}" "${APP_USER:?}"
psql_db() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -p "$PG_PORT" -d "$DB_NAME" "$@"; }
node_status() {
    psql_db -v name="$NODE_NAME" <<'SQL'
SELECT node_status FROM pgactive.pgactive_nodes WHERE node_name = :'name';
SQL
}
# Only when missing: on a running group any DDL, IF NOT EXISTS too, waits for pgactive's global
# DDL lock, which every member must grant, a lost one too.
[ -n "$(psql_db -c "SELECT 1 FROM pg_extension WHERE extname = 'pgactive'")" ] || psql_db -c "CREATE EXTENSION pgactive" >&2
status=$(node_status)
if [ "$status" = "k" ]; then
    echo "pgactive node $NODE_NAME was detached from the group; remove pgactive from it (pgactive_remove) before it can join again" >&2
    exit 1
fi
if [ -z "$status" ]; then
    # As the replication user (a superuser, which detaching takes), by its .pgpass.
    upstream() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -d "$JOIN_DSN" "$@"; }
    predecessor=$(upstream -v name="$NODE_NAME" <<'SQL'
SELECT node_status::text || ' ' || node_dsn FROM pgactive.pgactive_nodes WHERE node_name = :'name' AND node_status <> 'k';
SQL
)
    if [ -n "$predecessor" ]; then
        echo "[$NODE_NAME] detaching this node's lost predecessor from the pgactive group (state ${predecessor%% *}, ${predecessor#* })" >&2
        upstream -v name="$NODE_NAME" >&2 <<'SQL'
SELECT pgactive.pgactive_detach_nodes(ARRAY[:'name']);
SQL
    fi
    # A detached member keeps its name in the group's catalog, and pgactive lets a name be reused
    # only by the same database identity, which a new host's is not: the entry goes (the delete
    # reaches every member ahead of the join, from the same node) so the name is free. A member
    # drops its slot for a detached node only while the entry says so: the entry stays until every
    # member has, or that member's slot would hold WAL for ever.
    gone=$(upstream -v name="$NODE_NAME" <<'SQL'
SELECT node_sysid || ' ' || node_timeline || ' ' || node_dboid FROM pgactive.pgactive_nodes WHERE node_name = :'name' AND node_status = 'k';
SQL
)
    if [ -n "$gone" ]; then
        read -r sysid tli dboid <<<"$gone"
        members=$(upstream -v name="$NODE_NAME" <<'SQL'
SELECT node_name || ' ' || node_dsn FROM pgactive.pgactive_nodes WHERE node_name <> :'name' AND node_status = 'r';
SQL
)
        while read -r member dsn; do
            [ -n "$member" ] || continue
            for try in $(seq 1 "$SLOT_DROP_TRIES"); do
                left=$(runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -d "$dsn" -v sysid="$sysid" -v tli="$tli" -v dboid="$dboid" <<'SQL'
SELECT count(*) FROM pg_replication_slots s, pgactive.pgactive_parse_slot_name(s.slot_name) p
 WHERE s.plugin = 'pgactive' AND p.remote_sysid = :'sysid' AND p.remote_timeline = :'tli' AND p.remote_dboid = :'dboid';
SQL
) || left=unreachable
                [ "$left" != 0 ] || break
                if [ "$try" = "$SLOT_DROP_TRIES" ]; then
                    [ "$left" = unreachable ] && why="it cannot be reached (above)" || why="it still holds $left"
                    echo "pgactive member $member has not dropped its replication slot for this node's detached predecessor after ${SLOT_DROP_TRIES}s: $why; its pgactive worker drops it once it sees the detach, then run again" >&2
                    exit 1
                fi
                sleep 1
            done
        done <<<"$members"
        upstream -v name="$NODE_NAME" >&2 <<'SQL'
DELETE FROM pgactive.pgactive_nodes WHERE node_name = :'name' AND node_status = 'k';
SQL
    fi
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
# A link that forms only later starts from then: what its upstream took before would never reach
# the other side. So every ready member must have a live sender for each of the others.
members=$(psql_db <<'SQL'
SELECT node_name || ' ' || node_dsn FROM pgactive.pgactive_nodes WHERE node_status = 'r' ORDER BY 1;
SQL
)
want=$(($(grep -c . <<<"$members") - 1))
links() {
    local sql="SELECT count(DISTINCT n.node_name) AS live_senders FROM pg_replication_slots s
        CROSS JOIN LATERAL pgactive.pgactive_parse_slot_name(s.slot_name) p JOIN pgactive.pgactive_nodes n
        ON (n.node_sysid, n.node_timeline, n.node_dboid) = (p.remote_sysid, p.remote_timeline, p.remote_dboid)
        WHERE s.plugin = 'pgactive' AND s.active AND n.node_status = 'r'"
    if [ "$1" = "$NODE_NAME" ]; then psql_db -c "$sql"; else runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -d "$2" -c "$sql"; fi
}
for try in $(seq 1 "$LINK_TRIES"); do
    short=
    while read -r member dsn; do
        [ -n "$member" ] || continue
        have=$(links "$member" "$dsn") || have=unreachable
        [ "$have" = "$want" ] || short="$short $member ($have of $want)"
    done <<<"$members"
    [ -n "$short" ] || break
    if [ "$try" = "$LINK_TRIES" ]; then
        echo "pgactive members without a live sender for every other member after ${LINK_TRIES}s:$short; see pg_replication_slots on them" >&2
        exit 1
    fi
    sleep 1
done
echo "$NODE_NAME"
