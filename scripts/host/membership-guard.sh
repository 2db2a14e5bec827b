#!/usr/bin/env bash
# Before anything changes: refuse a node list that would take a quorum of three or more (etcd
# members, replicas of the volume, swarm managers) below three, unless FORCE=1; and (swarm) one
# that drops or readdresses a running manager: the managers carry etcd, whose members the stack
# cannot move. Counts what runs on this (the first) node now; on bare hosts there is nothing to
# count and nothing to refuse.
# Reads: ETCD_TLS + ETCD_WANT (classic Patroni), VOLUME + BRICKS_WANT (GlusterFS), MANAGERS_WANT +
# MANAGERS ("name=address ...") + NODE_LABEL (swarm), FORCE (1|0); an empty value skips that check.
set -euo pipefail
ETCD_TLS=${ETCD_TLS:-} ETCD_WANT=${ETCD_WANT:-} VOLUME=${VOLUME:-} BRICKS_WANT=${BRICKS_WANT:-}
MANAGERS_WANT=${MANAGERS_WANT:-} MANAGERS=${MANAGERS:-} NODE_LABEL=${NODE_LABEL:-} FORCE=${FORCE:-0}
problems=()
moved=()
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
    ids=$(docker node ls -q --filter role=manager)
    check "swarm managers" "$(grep -c . <<< "$ids")" "$MANAGERS_WANT"
    if [ -n "$MANAGERS" ]; then
        # shellcheck disable=SC2086 # one ID per word
        while read -r name addr; do
            [ -n "$addr" ] || { addr=$name name=; }
            addr=${addr%:*} addr=${addr#[} addr=${addr%]}
            # A run interrupted before the label step leaves a manager without a name: its address decides.
            want=" $name=$addr "
            [ -n "$name" ] || want="=$addr "
            case " $MANAGERS " in
                *"$want"*) ;;
                *) moved+=("swarm manager ${name:-(unlabelled)} at $addr is not among the managers this list asks for ($MANAGERS)") ;;
            esac
        done < <(docker node inspect -f "{{index .Spec.Labels \"$NODE_LABEL\"}} {{.ManagerStatus.Addr}}" $ids)
    fi
fi
if [ "${#moved[@]}" -gt 0 ]; then
    printf '%s\n' "${moved[@]}" >&2
    echo "refusing to move swarm managers: each runs an etcd member, which this program does not move; keep the first swarm.managers nodes with their names and addresses" >&2
    exit 1
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
