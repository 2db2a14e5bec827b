#!/usr/bin/env bash
# Converge the replicated volume from the first node: probe peers, create the volume or add the
# bricks it lacks (raising the replica count one brick at a time, then a full heal), set options,
# start it. Reads: VOLUME, PEERS (addresses of the other nodes), BRICKS (one per line, arbiter last),
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

for peer in $PEERS; do
    g peer probe "$peer" >&2
done
# A probed peer takes a moment to be fully "Peer in Cluster"; create and add-brick fail before that.
in_cluster() {
    local want have
    want=$(g peer status | awk '/^Number of Peers:/ { print $4 }')
    have=$(g peer status | grep -c 'State: Peer in Cluster (Connected)' || true)
    [ "${want:-0}" = "$have" ]
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
    g volume create "$VOLUME" "${layout[@]}" "${bricks[@]}" force >&2
else
    current_info=$(info)
    existing=$(sed -n 's/^Brick[0-9]*: \([^ ]*\).*$/\1/p' <<< "$current_info")
    count=$(grep -c . <<< "$existing")
    for brick in "${bricks[@]}"; do
        if ! grep -qxF "$brick" <<< "$existing"; then
            if [ "$ARBITER" = "1" ] || grep -q "(arbiter)" <<< "$current_info"; then
                echo "volume $VOLUME has an arbiter; converting it to a larger replica set is not supported here" >&2
                exit 1
            fi
            count=$((count + 1))
            g volume add-brick "$VOLUME" replica "$count" "$brick" force >&2
            added=1
        fi
    done
fi

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
    # New replicas are filled by self-heal, not rebalance.
    g volume heal "$VOLUME" full >&2
fi
g volume info "$VOLUME" | grep -E '^(Status|Number of Bricks):'
