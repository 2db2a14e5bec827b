#!/usr/bin/env bash
# One node's view for `npm run status`: key=value lines, one fact each; never changes anything.
# Reads: TOPOLOGY, NODE_NAME, ADDRESS, APP_PORT, ENGINE, DB_NAME, VOLUME, MOUNT_POINT, BACKUP_DIR
# (singleton only, else empty), STATS_URL (HAProxy's statistics, CSV), DB_SERVICE (swarm: this
# node's Patroni service), VIRTUAL_ADDRESS (the cluster's one address, data nodes only; else empty),
# REDIS_CONF_DIR, SENTINEL_PORT, REDIS_MASTER_NAME, REDIS_PORT (data nodes only; else empty).
set -uo pipefail
: "${TOPOLOGY:?}" "${NODE_NAME:?}" "${ADDRESS:?}" "${APP_PORT:?}" "${ENGINE:?}" "${DB_NAME:?}" "${VOLUME:?}" "${MOUNT_POINT:?}"
say() { printf '%s=%s\n' "$1" "$2"; }
say load "$(cut -d' ' -f1 /proc/loadavg)"
say disk_used "$(df -P / | awk 'NR == 2 { print $5 }')"
if findmnt -n "$MOUNT_POINT" >/dev/null 2>&1; then say mount ok; else say mount missing; fi
if command -v gluster >/dev/null && ! info=$(gluster volume info "$VOLUME" 2>&1); then
    say volume_error "$(printf '%s' "$info" | tr '\n' ' ' | cut -c1-200)"
elif command -v gluster >/dev/null; then
    # The heal summary lists every brick's connection without taking glusterd's cluster lock; a
    # volume of one brick has no heal, and no peer to contend for the lock with.
    heal=$(gluster volume heal "$VOLUME" info summary 2>/dev/null)
    if grep -q '^Type: .*Replicate' <<< "$info"; then
        say bricks_online "$(printf '%s\n' "$heal" | grep -c '^Status: Connected')"
    else
        say bricks_online "$(gluster volume status "$VOLUME" detail 2>/dev/null | grep -c '^Online.*: Y')"
    fi
    say bricks_total "$(sed -n 's/^Number of Bricks: .*= //p' <<< "$info")"
    say heal_pending "$(printf '%s\n' "$heal" | awk -F: '/Total Number of entries:/ { s += $2 } END { print s + 0 }')"
    say split_brain "$(printf '%s\n' "$heal" | awk -F: '/Number of entries in split-brain:/ { s += $2 } END { print s + 0 }')"
fi
if [ "$TOPOLOGY" = swarm ]; then
    say swarm "$(docker info -f '{{.Swarm.LocalNodeState}}' 2>/dev/null || echo down)"
    c=$(docker ps -qf "name=^${DB_SERVICE:?}\." 2>/dev/null | head -n 1)
    members=$([ -n "$c" ] && docker exec "$c" patronictl -c /etc/patroni/patroni.yml list -f json 2>/dev/null)
elif [ "$ENGINE" = patroni ]; then
    members=$(patronictl -c /etc/patroni/config.yml list -f json 2>/dev/null)
else
    members=""
    pg() { runuser -u postgres -- psql -qtAX -d "$DB_NAME" -c "$1" 2>/dev/null; }
    # Detached members (k) were taken off the list, or replaced: not part of the group any more.
    say pgactive "$(pg "SELECT string_agg(node_name || ':' || node_status::text, ',' ORDER BY node_name) FROM pgactive.pgactive_nodes WHERE node_status <> 'k'" || echo unreachable)"
    # A slot for no member holds WAL for ever (pgactive drops a detached member's own slot).
    say pgactive_stray_slots "$(pg "SELECT count(*) FROM pg_replication_slots s, pgactive.pgactive_parse_slot_name(s.slot_name) p
        WHERE s.plugin = 'pgactive' AND NOT EXISTS (SELECT 1 FROM pgactive.pgactive_nodes n WHERE n.node_status <> 'k'
        AND (n.node_sysid, n.node_timeline, n.node_dboid) = (p.remote_sysid, p.remote_timeline, p.remote_dboid))" || echo unknown)"
    say pgactive_conflicts "$(pg "SELECT count(*) FROM pgactive.pgactive_conflict_history" || echo unknown)"
    # Where this node's HAProxy sends the instances' writes: the first listed server up, else the
    # first backup up (CSV columns: 1 proxy, 2 server, 18 status, 21 backup).
    say pgactive_writer "$(curl -sS -m 5 "${STATS_URL:-}" 2>/dev/null | awk -F, '
        $1 == "postgres" && $2 != "FRONTEND" && $2 != "BACKEND" && $18 ~ /^UP/ { if ($21 == 0 && !w) w = $2; if ($21 == 1 && !b) b = $2 }
        END { print (w ? w : (b ? b : "none")) }')"
fi
if [ -n "${members:-}" ]; then
    say db_members "$(printf '%s' "$members" | tr -d '\n')"
fi
if [ -n "${VIRTUAL_ADDRESS:-}" ]; then
    say keepalived "$(systemctl is-active keepalived 2>/dev/null)"
    on=$(ip -o addr show to "$VIRTUAL_ADDRESS" 2>/dev/null)
    if [ -n "$on" ]; then say virtual_address held; else say virtual_address standby; fi
fi
# Redis: the master this node's Sentinel names, this node's Redis's role, and where this node's
# route sends Paperless (the servers of HAProxy's `redis` proxy that pass its role check).
: "${REDIS_CONF_DIR:?}" "${SENTINEL_PORT:?}" "${REDIS_MASTER_NAME:?}"
rcli() { timeout 5 redis-cli --no-auth-warning --raw -h 127.0.0.1 "$@"; }
# An address and a port, or nothing when it knows no master; anything else is an error.
named='^[0-9a-fA-F.:]+'$'\n''[0-9]+$|^$'
if ! master=$(REDISCLI_AUTH=$(cat "$REDIS_CONF_DIR/sentinel.pass" 2>/dev/null) rcli -p "$SENTINEL_PORT" SENTINEL get-master-addr-by-name "$REDIS_MASTER_NAME" 2>&1) ||
    ! [[ "$master" =~ $named ]]; then
    say sentinel_master unreachable
elif [ -z "$master" ]; then
    say sentinel_master none
else
    say sentinel_master "${master//$'\n'/ }"
fi
if [ -n "${REDIS_PORT:-}" ]; then
    role=$(REDISCLI_AUTH=$(sed -n 's/^requirepass //p' "$REDIS_CONF_DIR/redis.conf" 2>/dev/null) rcli -p "$REDIS_PORT" ROLE 2>/dev/null | head -n 1)
    case $role in master | slave) say redis_role "$role" ;; *) say redis_role down ;; esac
    # CSV columns: 1 proxy, 2 server, 18 status.
    say redis_route "$(curl -sS -m 5 "${STATS_URL:-}" 2>/dev/null | awk -F, '
        $1 == "redis" && $2 != "FRONTEND" && $2 != "BACKEND" && $18 ~ /^UP/ { up = up (up ? " " : "") $2 }
        END { print (up ? up : "none") }')"
fi
# Any answer short of a server error means Paperless serves (its login redirect included).
code=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' "http://$ADDRESS:$APP_PORT/" 2>/dev/null)
say app "${code:-000}"
if [ -n "${BACKUP_DIR:-}" ]; then
    newest=$(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' -printf '%T@ %f\n' 2>/dev/null | sort -n | tail -n 1)
    if [ -n "$newest" ]; then
        say backup_age_hours "$(awk -v t="${newest%% *}" -v now="$(date +%s)" 'BEGIN { printf "%.1f", (now - t) / 3600 }')"
        say backup_last "${newest#* }"
    else
        say backup_age_hours none
    fi
    say backup_timer "$(systemctl is-active paperless-ha-backup.timer 2>/dev/null)"
fi
exit 0
