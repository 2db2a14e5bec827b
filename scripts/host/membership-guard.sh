#!/usr/bin/env bash
# Before anything changes: refuse a node list that would take a quorum of three or more (etcd
# members, replicas of the volume, swarm managers) below three, unless FORCE=1; and (swarm) one
# that drops a manager, gives a reachable one a new address or lists another node first: managers
# change only when a host is lost for good and a new one takes its name (not with SeaweedFS, whose
# masters cannot move; REPLACE_MANAGERS=0). Counts what runs on this (the first) node now; on bare
# hosts, or on a new host under the first name, there is nothing to count.
# Reads: ETCD_TLS + ETCD_WANT (classic Patroni), VOLUME + BRICKS_WANT (GlusterFS), MANAGERS_WANT +
# MANAGERS ("name=address ...", the first node first) + NODE_LABEL + FIRST_LABEL + REPLACE_MANAGERS
# + FIRST_REJOINS (1: the second manager saw the first node's host lost, see swarm-rejoin.sh)
# (swarm), LEADER_WAIT (tries 5 s apart for a swarm leader, default 24), FORCE (1|0); an empty
# *_WANT skips that check. Also refuses an app image Paperless-ngx cannot migrate to from the
# release running here: APP_VERSION_WANT (the release app.image names), APP_CONTAINER (name of the
# app container here), MAJOR_UPGRADE_FROM ("3=2.20.15 ...": where each major's upgrade starts).
set -euo pipefail
ETCD_TLS=${ETCD_TLS:-} ETCD_WANT=${ETCD_WANT:-} VOLUME=${VOLUME:-} BRICKS_WANT=${BRICKS_WANT:-}
MANAGERS_WANT=${MANAGERS_WANT:-} MANAGERS=${MANAGERS:-} NODE_LABEL=${NODE_LABEL:-} FIRST_LABEL=${FIRST_LABEL:-}
REPLACE_MANAGERS=${REPLACE_MANAGERS:-1} FIRST_REJOINS=${FIRST_REJOINS:-0}
FORCE=${FORCE:-0}
APP_VERSION_WANT=${APP_VERSION_WANT:-} APP_CONTAINER=${APP_CONTAINER:-} MAJOR_UPGRADE_FROM=${MAJOR_UPGRADE_FROM:-}
problems=()
moved=()
# version_lt A B: release A comes before release B.
version_lt() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }
# Paperless-ngx migrates its database forward only, and a major release starts from the last
# release of the one before: the running release is the version label of the app's image here.
if [ -n "$APP_VERSION_WANT" ] && [ -n "$APP_CONTAINER" ] && command -v docker >/dev/null &&
    running=$(docker ps -q --filter "name=$APP_CONTAINER" 2>/dev/null | head -n 1) && [ -n "$running" ]; then
    have=$(image_release "$(docker inspect -f '{{.Image}}' "$running")")
    if [ -n "$have" ]; then
        start=
        for m in $MAJOR_UPGRADE_FROM; do [ "${m%%=*}" = "${APP_VERSION_WANT%%.*}" ] && start=${m#*=}; done
        if older_major "$APP_VERSION_WANT" "$have"; then
            echo "app.image: Paperless-ngx $APP_VERSION_WANT is a major release older than the $have running now: its database cannot go back" >&2
            exit 1
        elif older_major "$have" "$APP_VERSION_WANT" && [ -n "$start" ] && version_lt "$have" "$start"; then
            echo "app.image: Paperless-ngx $have cannot be upgraded straight to $APP_VERSION_WANT: upgrade to $start first (set app.image to its $start image and run up), then to $APP_VERSION_WANT" >&2
            exit 1
        fi
    fi
fi
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
    # A manager back from a network cut may take a minute or two to reach the leader again: wait, bounded.
    ids=
    for try in $(seq "${LEADER_WAIT:-24}" -1 1); do
        ids=$(docker node ls -q --filter role=manager 2>/dev/null) && break
        if [ "$try" -gt 1 ]; then sleep 5; fi
    done
    [ -n "${ids:-}" ] || { echo "the swarm has no leader seen from this node: more than half of its managers must be online and reach each other" >&2; exit 1; }
    check "swarm managers" "$(grep -c . <<< "$ids")" "$MANAGERS_WANT"
    if [ -n "$MANAGERS" ]; then
        # The first node (labelled so by its step; before that label, the swarm's oldest) stays
        # first: with another listed first, that one would take over the first node's step and
        # the first node's join step would go, making it leave the swarm.
        firsts=$(docker node ls -q --filter "node.label=$FIRST_LABEL" 2>/dev/null || true)
        # shellcheck disable=SC2086 # one ID per word
        [ -n "$firsts" ] || firsts=$(docker node inspect -f '{{.CreatedAt.UnixNano}} {{.ID}}' $ids | sort -n | head -n 1 | cut -d' ' -f2)
        if ! grep -qxF "$(docker info -f '{{.Swarm.NodeID}}')" <<< "$firsts"; then
            read -r first_name first_reach < <(docker node inspect -f "{{index .Spec.Labels \"$NODE_LABEL\"}} {{.ManagerStatus.Reachability}}" "$(head -n 1 <<< "$firsts")")
            # Unless it is the lost host whose name this node took (a replace cut off before the
            # first node's step labelled this one).
            if [ "$first_name" != "${MANAGERS%%=*}" ] || [ "$first_reach" != "unreachable" ]; then
                moved+=("${first_name:-node $(head -n 1 <<< "$firsts")} is the swarm's first node and must stay first in the list, where ${MANAGERS%%=*} is now")
            fi
        fi
        # shellcheck disable=SC2086 # one ID per word
        while read -r name addr reach; do
            [ -n "$reach" ] || { reach=$addr addr=$name name=; }
            addr=${addr%:*} addr=${addr#[} addr=${addr%]}
            # A run interrupted before the label step leaves a manager without a name: its address decides.
            want=" $name=$addr "
            [ -n "$name" ] || want="=$addr "
            case " $MANAGERS " in
                *"$want"*) continue ;;
            esac
            # The same name at a new address, where the old host is gone: a lost manager replaced.
            if [ -n "$name" ] && [ "$reach" = "unreachable" ] && [[ " $MANAGERS " == *" $name="* ]]; then
                if [ "$REPLACE_MANAGERS" = "1" ]; then
                    echo "swarm manager $name at $addr is unreachable: replacing it" >&2
                    continue
                fi
                moved+=("swarm manager $name at $addr is unreachable, but with SeaweedFS its master cannot move to a new address")
                continue
            fi
            moved+=("swarm manager ${name:-(unlabelled)} at $addr is not among the managers this list asks for ($MANAGERS)")
        done < <(docker node inspect -f "{{index .Spec.Labels \"$NODE_LABEL\"}} {{.ManagerStatus.Addr}} {{.ManagerStatus.Reachability}}" $ids)
    fi
elif [ -n "$MANAGERS" ] && [ "$FIRST_REJOINS" = "1" ]; then
    # A new host under the first name, its lost predecessor seen unreachable by the second manager.
    first=${MANAGERS%% *}
    if [ "$REPLACE_MANAGERS" = "1" ]; then
        echo "${first%%=*}'s host is lost: the new one at ${first#*=} joins the running swarm" >&2
    else
        moved+=("${first%%=*}'s host is lost, but with SeaweedFS its master cannot move to a new address")
    fi
elif [ -n "$MANAGERS" ]; then
    # No swarm here and no lost first node seen: bare hosts, or a split. Another listed manager
    # that answers on the swarm port means the swarm lives on without this node, and a new one
    # made here would split the cluster.
    read -r first others <<< "$MANAGERS"
    for m in $others; do
        addr=${m#*=}
        if timeout 3 bash -c "exec 3<>/dev/tcp/$addr/2377" 2>/dev/null; then
            moved+=("${first%%=*} at ${first#*=} is in no swarm, but ${m%%=*} at $addr runs a swarm manager that does not see ${first%%=*}'s host lost: the first node joins a running swarm only in place of a lost host")
            break
        fi
    done
fi
if [ "${#moved[@]}" -gt 0 ]; then
    printf '%s\n' "${moved[@]}" >&2
    echo "refusing to move swarm managers: keep the first swarm.managers nodes with their names, and their addresses unless a host is lost for good" >&2
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
