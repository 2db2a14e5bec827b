#!/usr/bin/env bash
# Converge the replicated volume from the first node: probe peers, create the volume, move the
# bricks of replaced hosts, add the bricks it lacks (raising the replica count one brick at a time,
# then a full heal), remove the bricks of nodes no longer listed (lowering it again) and detach
# those peers, set options, start it. Reads: VOLUME, PEERS (addresses of the other nodes), BRICKS (one per line, arbiter last),
# ARBITER (1|0), OPTIONS (key=value per line), QUORUM_RATIO (empty for none).
set -euo pipefail
: "${VOLUME:?}" "${BRICKS:?}" "${ARBITER:?}"
PEERS=${PEERS:-}
OPTIONS=${OPTIONS:-}
QUORUM_RATIO=${QUORUM_RATIO:-}
g() { gluster_cli "$@"; }
# Output is captured before it is searched: under pipefail, `g ... | grep -q` fails whenever grep
# stops reading first (SIGPIPE), and a failed test here would start a started volume.
info() { g volume info "$VOLUME"; }
# Bricks are placed once every peer holding one is connected to every other, which this node cannot
# see: a create or add-brick staged on a peer that has not yet connected to another is tried again.
g_mesh() { retry_on 'Host [^ ]+ not connected' gluster_cli "$@"; }

for peer in $PEERS; do
    g peer probe "$peer" >&2
done
# A probed peer takes a moment to be fully "Peer in Cluster"; create and add-brick fail before that.
# Only listed peers count: one being removed may already be cut off by the others' firewalls.
# Every name of a peer counts (see gluster_peers).
in_cluster() {
    local connected peer
    connected=$(gluster_peers | awk '$2 == "yes" { for (i = 3; i <= NF; i++) print $i }')
    for peer in $PEERS; do
        grep -qxF "$peer" <<< "$connected" || return 1
    done
}
for _ in $(seq 1 120); do
    in_cluster && break
    sleep 1
done
if ! in_cluster; then
    g peer status >&2
    echo "not every peer of volume $VOLUME is in the cluster and connected" >&2
    exit 1
fi

mapfile -t bricks <<< "$BRICKS"
added=0
if ! g volume info "$VOLUME" >/dev/null 2>&1; then
    layout=()
    if [ "${#bricks[@]}" -gt 1 ]; then layout=(replica "${#bricks[@]}"); fi
    if [ "$ARBITER" = "1" ]; then layout+=(arbiter 1); fi
    g_mesh volume create "$VOLUME" "${layout[@]}" "${bricks[@]}" force >&2
else
    read_volume() { # current_info, and existing: its bricks, one per line
        current_info=$(info)
        existing=$(sed -n 's/^Brick[0-9]*: \([^ ]*\).*$/\1/p' <<< "$current_info")
    }
    read_volume
    count=$(grep -c . <<< "$existing")
    # A node whose address changed (its host was lost and replaced) moves its brick to the new
    # host: the unlisted brick is replaced by the missing one, pair by pair in order, and a full
    # heal fills it. The replica count stays; any bricks left over are added or removed below.
    mapfile -t missing < <(for b in "${bricks[@]}"; do grep -qxF "$b" <<< "$existing" || echo "$b"; done)
    mapfile -t unlisted < <(grep -vxF -f <(printf '%s\n' "${bricks[@]}") <<< "$existing" || true)
    for i in "${!missing[@]}"; do
        if [ "$i" -ge "${#unlisted[@]}" ]; then break; fi
        echo "replacing brick ${unlisted[$i]} by ${missing[$i]}" >&2
        g_mesh volume replace-brick "$VOLUME" "${unlisted[$i]}" "${missing[$i]}" commit force >&2
        added=1
    done
    if [ "$added" = "1" ]; then read_volume; fi
    for brick in "${bricks[@]}"; do
        if ! grep -qxF "$brick" <<< "$existing"; then
            if [ "$ARBITER" = "1" ] || grep -q "(arbiter)" <<< "$current_info"; then
                echo "volume $VOLUME has an arbiter; converting it to a larger replica set is not supported here" >&2
                exit 1
            fi
            count=$((count + 1))
            g_mesh volume add-brick "$VOLUME" replica "$count" "$brick" force >&2
            added=1
        fi
    done
    # A node taken off the list: its brick leaves the replica set (the other replicas hold every
    # file; the brick's own files stay on its host, set aside when that node is torn down).
    while read -r brick; do
        if [ -z "$brick" ] || grep -qxF "$brick" <<< "$BRICKS"; then continue; fi
        if grep -q "(arbiter)" <<< "$current_info"; then
            echo "volume $VOLUME has an arbiter; removing brick $brick from it is not supported here" >&2
            exit 1
        fi
        count=$((count - 1))
        echo "removing brick $brick (replica $count)" >&2
        g volume remove-brick "$VOLUME" replica "$count" "$brick" force >&2
    done <<< "$existing"
fi

# Peers no longer listed and holding no brick of any volume leave the trusted pool. Bricks are
# matched by their peer's UUID: a peer may be known here by a name, its bricks by an address.
brick_uuids=$(g volume info all --xml | sed -n 's/.*<brick uuid="\([^"]*\)".*/\1/p')
while read -r uuid _ name others; do
    if [ -z "$uuid" ] || grep -qxF "$uuid" <<< "$brick_uuids"; then continue; fi
    listed=0
    for n in $name $others; do
        if [[ " $PEERS " == *" $n "* ]]; then listed=1; fi
    done
    if [ "$listed" = "0" ]; then
        echo "detaching peer $name" >&2
        g peer detach "$name" force >&2
    fi
done <<< "$(gluster_peers)"

while IFS='=' read -r key value; do
    [ -n "$key" ] || continue
    current=$(g volume get "$VOLUME" "$key" 2>/dev/null | awk -v k="$key" '$1 == k { print $2 }')
    [ "$current" = "$value" ] || g volume set "$VOLUME" "$key" "$value" >&2
done <<< "$OPTIONS"
if [ -n "$QUORUM_RATIO" ]; then
    g volume set all cluster.server-quorum-ratio "$QUORUM_RATIO" >&2
fi

final_info=$(info)
if ! grep -q '^Status: Started' <<< "$final_info"; then
    g volume start "$VOLUME" >&2
fi
if [ "$added" = "1" ]; then
    # New replicas are filled by self-heal, not rebalance. A new brick's self-heal daemon takes a
    # moment to start, and until then the heal's commit fails on its host.
    healed=0
    for _ in $(seq 1 30); do
        if g volume heal "$VOLUME" full >&2 2>/dev/null; then healed=1; break; fi
        sleep 2
    done
    if [ "$healed" = "0" ]; then g volume heal "$VOLUME" full >&2; fi
fi
g volume info "$VOLUME" | grep -E '^(Status|Number of Bricks):'
