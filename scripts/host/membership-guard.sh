#!/usr/bin/env bash
# Before anything changes: refuse a node list that would take a quorum of three or more (etcd
# members, replicas of the volume, swarm managers) below three, unless FORCE=1. Counts what runs
# on this (the first) node now; on bare hosts there is nothing to count and nothing to refuse.
# Reads: ETCD_TLS + ETCD_WANT (classic Patroni), VOLUME + BRICKS_WANT (GlusterFS), MANAGERS_WANT
# (swarm), FORCE (1|0); an empty value skips that check.
set -euo pipefail
ETCD_TLS=${ETCD_TLS:-} ETCD_WANT=${ETCD_WANT:-} VOLUME=${VOLUME:-} BRICKS_WANT=${BRICKS_WANT:-}
MANAGERS_WANT=${MANAGERS_WANT:-} FORCE=${FORCE:-0}
problems=()
check() { # what, now, wanted
    if [ "$2" -ge 3 ] && [ "$3" -lt 3 ]; then
        problems+=("$1: $2 now, $3 after this change")
    fi
}
if [ -n "$ETCD_WANT" ] && command -v etcdctl >/dev/null && systemctl is-active -q etcd; then
    members=$(ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$ETCD_TLS/ca.crt" \
        --cert="$ETCD_TLS/node.crt" --key="$ETCD_TLS/node.key" --command-timeout=5s member list)
    check "etcd members" "$(grep -c . <<< "$members")" "$ETCD_WANT"
fi
if [ -n "$VOLUME" ] && command -v gluster >/dev/null && info=$(gluster --mode=script volume info "$VOLUME" 2>/dev/null); then
    check "bricks of volume $VOLUME" "$(grep -c '^Brick[0-9]*:' <<< "$info")" "$BRICKS_WANT"
fi
if [ -n "$MANAGERS_WANT" ] && command -v docker >/dev/null &&
    [ "$(docker info -f '{{.Swarm.ControlAvailable}}' 2>/dev/null)" = "true" ]; then
    check "swarm managers" "$(docker node ls -q --filter role=manager | grep -c .)" "$MANAGERS_WANT"
fi
if [ "${#problems[@]}" -gt 0 ]; then
    printf '%s\n' "${problems[@]}" >&2
    if [ "$FORCE" != "1" ]; then
        echo "refusing to shrink below three: the cluster would not survive one more failure. Set paperless-ha:forceShrink to true to do it anyway" >&2
        exit 1
    fi
    echo "forceShrink is set: shrinking below three" >&2
fi
echo ok
