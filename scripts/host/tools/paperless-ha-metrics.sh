#!/usr/bin/env bash
# paperless-ha-metrics: this node's view of the cluster as Prometheus gauges, written for
# node_exporter's textfile collector; installed by paperless-ha and run by a 30-second timer.
# Changes nothing; a fact it cannot learn is reported as 0 (down), never left out, so alerts fire.
# Reads: TOPOLOGY, NODE_NAME, ENGINE, DATA_NODE (0 on the arbiter), PEERS, PG_PORT, DB_NAME,
# APP_URL, VOLUME (GlusterFS), MOUNT_POINT, TEXTFILE_DIR, DB_SERVICE (swarm: this node's Patroni
# service), REDIS_CONF_DIR, REDIS_MASTER_NAME, SENTINEL_PORT, REDIS_PORT (empty where no Redis
# runs), all from /etc/paperless-ha/metrics.env.
set -uo pipefail
# shellcheck source=/dev/null
. /etc/paperless-ha/metrics.env
: "${TOPOLOGY:?}" "${NODE_NAME:?}" "${ENGINE:?}" "${DATA_NODE:?}" "${PEERS:?}" "${PG_PORT:?}" "${DB_NAME:?}" "${APP_URL:?}" "${MOUNT_POINT:?}" "${TEXTFILE_DIR:?}"
: "${REDIS_CONF_DIR:?}" "${REDIS_MASTER_NAME:?}" "${SENTINEL_PORT:?}"

gauge() { # NAME HELP VALUE
    printf '# HELP %s %s\n# TYPE %s gauge\n%s %s\n' "$1" "$2" "$1" "$1" "$3"
}

# psql as the postgres superuser over the local socket (peer authentication, no password).
psql_local() {
    if [ "$TOPOLOGY" = swarm ]; then
        local c
        c=$(docker ps -qf "name=^${DB_SERVICE:?}\." 2>/dev/null | head -n 1)
        [ -n "$c" ] || return 1
        timeout 10 docker exec -u postgres "$c" psql -h /var/run/postgresql -p "$PG_PORT" -d postgres -qtAX -F ' ' -c "$1"
    else
        timeout 10 runuser -u postgres -- psql -p "$PG_PORT" -d postgres -qtAX -F ' ' -c "$1"
    fi
}

database() {
    local row writable senders receiving lag ok
    # writable, streaming senders, streaming receiver, lag in bytes (a replica: received but not
    # replayed; a writer: its slowest peer's replay).
    row=$(psql_local "SELECT (NOT pg_is_in_recovery())::int,
        (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'),
        (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'),
        COALESCE(CASE WHEN pg_is_in_recovery()
            THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())
            ELSE (SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)) FROM pg_stat_replication) END, 0)::bigint" 2>/dev/null)
    if ! read -r writable senders receiving lag <<<"$row" || [ -z "${lag:-}" ]; then
        gauge paperless_ha_db_up "PostgreSQL on this node answers" 0
        gauge paperless_ha_db_replication_ok "this node replicates with every peer it should" 0
        return
    fi
    if [ "$ENGINE" = pgactive ] || [ "$writable" = 1 ]; then
        ok=$((senders >= PEERS))
    else
        ok=$((receiving >= 1))
    fi
    gauge paperless_ha_db_up "PostgreSQL on this node answers" 1
    gauge paperless_ha_db_writable "this node's PostgreSQL accepts writes" "$writable"
    gauge paperless_ha_db_replication_ok "this node replicates with every peer it should" "$ok"
    gauge paperless_ha_db_replication_senders "peers streaming from this node" "$senders"
    gauge paperless_ha_db_replication_lag_bytes "bytes of WAL not yet replayed" "$lag"
    if [ "$ENGINE" = pgactive ]; then pgactive_facts; fi
}

# The group as this node's pgactive sees it, and the conflicts it resolved (its history table).
pgactive_facts() {
    local row nodes ready conflicts
    row=$(timeout 10 runuser -u postgres -- psql -p "$PG_PORT" -d "$DB_NAME" -qtAX -F ' ' -c "SELECT
        (SELECT count(*) FROM pgactive.pgactive_nodes WHERE node_status <> 'k'),
        (SELECT count(*) FROM pgactive.pgactive_nodes WHERE node_status = 'r'),
        (SELECT count(*) FROM pgactive.pgactive_conflict_history)" 2>/dev/null)
    read -r nodes ready conflicts <<<"$row" || true
    gauge paperless_ha_pgactive_nodes "pgactive nodes in the group (not detached)" "${nodes:-0}"
    gauge paperless_ha_pgactive_nodes_ready "pgactive nodes ready" "${ready:-0}"
    printf '# HELP %s %s\n# TYPE %s counter\n%s %s\n' paperless_ha_pgactive_conflicts_total "write conflicts pgactive resolved on this node" \
        paperless_ha_pgactive_conflicts_total paperless_ha_pgactive_conflicts_total "${conflicts:-0}"
}

storage() {
    if findmnt -n "$MOUNT_POINT" >/dev/null 2>&1 && timeout 10 stat -f "$MOUNT_POINT" >/dev/null 2>&1; then
        gauge paperless_ha_storage_mounted "the shared file system is mounted and answers" 1
    else
        gauge paperless_ha_storage_mounted "the shared file system is mounted and answers" 0
    fi
}

# Read without glusterd's cluster-wide lock (`volume status` takes it and would make a
# concurrent add-brick or volume stop fail): volume info and the heal summary, which lists every
# brick with its connection state.
volume_facts() {
    local info heal
    info=$(gluster volume info "$VOLUME" 2>/dev/null)
    # A one-brick volume is not replicated: nothing to heal, no peer brick to lose.
    case $(printf '%s\n' "$info" | sed -n 's/^Type: //p') in *Replicate*) ;; *) return 0 ;; esac
    heal=$(cd / && timeout 20 gluster volume heal "$VOLUME" info summary 2>/dev/null)
    gauge paperless_ha_storage_bricks_online "GlusterFS bricks connected, as this node sees them" "$(printf '%s\n' "$heal" | grep -c '^Status: Connected')"
    gauge paperless_ha_storage_bricks_total "GlusterFS bricks in the volume" "$(printf '%s\n' "$info" | sed -n 's/^Number of Bricks: .*= //p')"
    gauge paperless_ha_storage_heal_pending "GlusterFS entries waiting for heal" "$(printf '%s\n' "$heal" | awk -F: '/Total Number of entries:/ { s += $2 } END { print s + 0 }')"
    gauge paperless_ha_storage_split_brain "GlusterFS entries in split-brain" "$(printf '%s\n' "$heal" | awk -F: '/Number of entries in split-brain:/ { s += $2 } END { print s + 0 }')"
}

# This node's Redis (its role) and Sentinel (whether it sees a master up), asked with the passwords
# in their settings, passed in the environment, never on a command line.
redis_facts() {
    local role flags up=0 master=0 ok=0
    rcli() { timeout 5 redis-cli --no-auth-warning --raw -h 127.0.0.1 "$@" 2>/dev/null; }
    if [ -n "${REDIS_PORT:-}" ]; then
        role=$(REDISCLI_AUTH=$(sed -n 's/^requirepass //p' "$REDIS_CONF_DIR/redis.conf" 2>/dev/null) rcli -p "$REDIS_PORT" ROLE | head -n 1)
        case $role in master) up=1 master=1 ;; slave) up=1 ;; esac
        gauge paperless_ha_redis_up "Redis on this node answers" "$up"
        gauge paperless_ha_redis_master "Redis on this node is the master" "$master"
    fi
    # SENTINEL MASTER answers field names and values on alternate lines; flags is `master` when it sees it up.
    flags=$(REDISCLI_AUTH=$(cat "$REDIS_CONF_DIR/sentinel.pass" 2>/dev/null) rcli -p "$SENTINEL_PORT" SENTINEL master "$REDIS_MASTER_NAME" |
        awk 'prev == "flags" { print; exit } { prev = $0 }')
    up=0
    [ -z "$flags" ] || up=1
    [ "$flags" != master ] || ok=1
    gauge paperless_ha_sentinel_up "Sentinel on this node answers about the master" "$up"
    gauge paperless_ha_sentinel_master_ok "Sentinel on this node sees the Redis master up" "$ok"
}

collect() {
    if [ "$DATA_NODE" = 1 ]; then
        database
        storage
        # Any answer short of a server error means Paperless serves (a login redirect included).
        code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "$APP_URL" 2>/dev/null)
        gauge paperless_ha_app_up "Paperless on this node answers HTTP" "$([ "${code:-000}" -ge 200 ] && [ "${code:-000}" -lt 500 ] && echo 1 || echo 0)"
    fi
    if [ -n "${VOLUME:-}" ] && command -v gluster >/dev/null; then
        # A volume glusterd cannot describe is a fact too (its brick gauges would just vanish).
        readable=0
        timeout 20 gluster volume info "$VOLUME" >/dev/null 2>&1 && readable=1
        gauge paperless_ha_storage_volume_readable "glusterd on this node describes the volume" "$readable"
        [ "$readable" = 0 ] || volume_facts
    fi
    redis_facts
    if [ "$TOPOLOGY" = swarm ]; then
        gauge paperless_ha_swarm_active "this node is an active Swarm member" "$([ "$(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null)" = active ] && echo 1 || echo 0)"
    fi
    gauge paperless_ha_collector_timestamp_seconds "when paperless-ha-metrics last ran" "$(date +%s)"
}

# Leftovers of runs killed mid-write (node_exporter reads only *.prom, but they would pile up).
find "$TEXTFILE_DIR" -maxdepth 1 -name '.paperless_ha.prom.*' -mmin +5 -delete 2>/dev/null
tmp=$(mktemp "$TEXTFILE_DIR/.paperless_ha.prom.XXXXXX")
trap 'rm -f "$tmp"' EXIT
collect > "$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$TEXTFILE_DIR/paperless_ha.prom"
trap - EXIT
