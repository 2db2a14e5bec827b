#!/usr/bin/env bash
# Redis with Sentinel on this node: on a data node Debian's redis-server and redis-sentinel (units
# redis-server@paperless-ha and redis-sentinel@paperless-ha), on the arbiter Sentinel only. The
# role helper decides before each start of Redis whether it is the master or a replica of the
# master the Sentinels name. Sentinel's file is written from our settings only when they change
# (with the master asked of the other Sentinels), since Sentinel keeps its state in it; when only
# the cluster's members changed, Sentinel forgets the ones it knew and learns the others again.
# Reads: CONF_DIR, ROLE_SH, HELPER, ROLE_CONF, SENTINEL_CONF (with @MASTER@), SENTINEL_PASSWORD,
# STATE_FILE, SENTINEL_PORT, MASTER_NAME; on a data node also REDIS_CONF, REDIS_DROP_IN,
# REDIS_PORT (all empty on the arbiter).
set -euo pipefail
: "${CONF_DIR:?}" "${ROLE_SH:?}" "${HELPER:?}" "${ROLE_CONF:?}" "${SENTINEL_CONF:?}" "${SENTINEL_PASSWORD:?}"
: "${STATE_FILE:?}" "${SENTINEL_PORT:?}" "${MASTER_NAME:?}"
redis_unit=redis-server@paperless-ha
sentinel_unit=redis-sentinel@paperless-ha

# The instances the packages start on install (loopback, no password) would hold our ports.
for unit in redis-server redis-sentinel; do
    if systemctl is-enabled -q "$unit" 2>/dev/null || systemctl is-active -q "$unit"; then
        systemctl disable --now "$unit" >/dev/null 2>&1
        echo "stopped and disabled the package's own $unit" >&2
    fi
done
# The one Redis of releases before Sentinel (a container on classic, a service on swarm) holds our
# port on its node; its data is a queue and a cache.
if command -v docker >/dev/null; then
    if docker container inspect paperless-ha-redis >/dev/null 2>&1; then
        docker rm -f paperless-ha-redis >/dev/null
        echo "removed the single Redis container paperless-ha-redis: Redis runs from the host's package now" >&2
    fi
    # Any manager removes the service; a worker that runs its task waits for one to.
    if docker service inspect paperless-app_redis >/dev/null 2>&1 && docker service rm paperless-app_redis >/dev/null 2>&1; then
        echo "removed the swarm's single Redis service paperless-app_redis: Redis runs from the host's package now" >&2
    fi
    old_task_gone() { [ -z "$(docker ps -q --filter label=com.docker.swarm.service.name=paperless-app_redis)" ]; }
    wait_for "the swarm's old Redis task on this node to stop (a manager removes its service)" 60 1 old_task_gone
fi

install -d -m 0755 "$CONF_DIR" "$(dirname "$HELPER")"
put_file "$HELPER" 0755 "$ROLE_SH"
# What a changed file asks for (a restart, a reset) is marked before the file is written and
# unmarked once done, so a run interrupted in between leaves it to the next run.
reset_mark=$CONF_DIR/.sentinel-reset-pending
restart_mark=$CONF_DIR/.redis-restart-pending
if file_differs "$CONF_DIR/role.conf" "$ROLE_CONF"; then touch "$reset_mark"; fi
put_file "$CONF_DIR/role.conf" 0644 "$ROLE_CONF"
put_file "$CONF_DIR/sentinel.pass" 0600 "$SENTINEL_PASSWORD"

sentinel_cli() { REDISCLI_AUTH=$SENTINEL_PASSWORD redis-cli --no-auth-warning --raw -h 127.0.0.1 -p "$SENTINEL_PORT" "$@"; }

if [ -n "${REDIS_CONF:-}" ]; then
    : "${REDIS_DROP_IN:?}" "${REDIS_PORT:?}"
    drop_in=/etc/systemd/system/$redis_unit.service.d/paperless-ha.conf
    if file_differs "$CONF_DIR/redis.conf" "$REDIS_CONF" || file_differs "$drop_in" "$REDIS_DROP_IN"; then touch "$restart_mark"; fi
    put_file "$CONF_DIR/redis.conf" 0640 "$REDIS_CONF"
    chgrp redis "$CONF_DIR/redis.conf"
    put_file "$drop_in" 0644 "$REDIS_DROP_IN"
    systemctl daemon-reload
    systemctl enable -q "$redis_unit"
    if [ -e "$restart_mark" ] || ! systemctl is-active -q "$redis_unit"; then
        systemctl restart "$redis_unit"
        rm -f "$restart_mark"
    fi
    # Without a password: NOAUTH is an answer too.
    redis_up() { [[ "$(redis-cli -p "$REDIS_PORT" -h 127.0.0.1 PING 2>&1)" =~ PONG|NOAUTH ]]; }
    wait_for "Redis on port $REDIS_PORT to answer" 30 1 redis_up
elif systemctl is-enabled -q "$redis_unit" 2>/dev/null; then
    systemctl disable --now "$redis_unit" >/dev/null 2>&1
fi

# Sentinel's file: written again when our settings changed, else only its known members reset.
# The copy of our settings is written last: a run interrupted before it writes Sentinel's file again.
template="$CONF_DIR/sentinel.conf"
if file_differs "$template" "$SENTINEL_CONF" || [ ! -s "$STATE_FILE" ]; then
    master=$("$HELPER" "$CONF_DIR/role.conf" --master)
    install -d -o redis -g redis -m 2770 "$(dirname "$STATE_FILE")"
    rm -f "$STATE_FILE"
    put_file "$STATE_FILE" 0640 "${SENTINEL_CONF//@MASTER@/$master}" redis
    systemctl enable -q "$sentinel_unit"
    systemctl restart "$sentinel_unit"
    rm -f "$reset_mark"
    put_file "$template" 0600 "$SENTINEL_CONF"
    echo "Sentinel watches the master at $master" >&2
else
    systemctl enable -q "$sentinel_unit"
    systemctl start "$sentinel_unit"
fi
if [ -e "$reset_mark" ]; then
    # RESET forgets the replicas and other Sentinels, learnt again through the master: while the
    # master is down (a failover under way) Sentinel would be left with no replica to promote.
    master_up() {
        [ "$(sentinel_cli SENTINEL master "$MASTER_NAME" 2>/dev/null | awk 'prev == "flags" { print; exit } { prev = $0 }')" = master ]
    }
    wait_for "Sentinel to see its master up before it forgets the members it knew (a failover under way ends first)" 90 1 master_up
    sentinel_cli SENTINEL RESET "$MASTER_NAME" >/dev/null
    rm -f "$reset_mark"
    echo "the cluster's members changed: Sentinel learns them again" >&2
fi
names_master() { [ -n "$(sentinel_cli SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null)" ]; }
wait_for "Sentinel on port $SENTINEL_PORT to name the master" 30 1 names_master
