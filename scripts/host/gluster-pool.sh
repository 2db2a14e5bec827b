#!/usr/bin/env bash
# On the second node, before the first node's volume step: when the first node's host is new (its
# glusterd is no peer here; the old host was lost for good), let it into the trusted pool from
# here, because a host outside a pool cannot join one by itself. The lost host's peer entry goes
# first: the other nodes know the first node by the name its address resolved to when it probed
# them, and that name now leads to the new host, which the entry's UUID would reject. Its bricks
# leave the replica set (the other replicas hold every file), it is detached, and the new host is
# probed; the first node's volume step then adds its brick back and heals it. Does nothing while
# this node holds no volume (bare hosts: the first node creates it) or the first node's glusterd
# is already a peer.
# Reads: VOLUME, FIRST (the first node's cluster address), FIRST_UUID (its glusterd's UUID).
set -euo pipefail
: "${VOLUME:?}" "${FIRST:?}" "${FIRST_UUID:?}"
g() { gluster_cli "$@"; }
g volume info "$VOLUME" >/dev/null 2>&1 || exit 0
peers=$(gluster_peers)
if grep -q "^$FIRST_UUID " <<< "$peers"; then exit 0; fi
resolves_to_first() { [ "$1" = "$FIRST" ] || [ "$(getent ahostsv4 "$1" | awk 'NR == 1 { print $1 }')" = "$FIRST" ]; }
while read -r uuid _ name others; do
    [ -n "$uuid" ] || continue
    match=
    for n in $name $others; do resolves_to_first "$n" && match=$n && break; done
    [ -n "$match" ] || continue
    # Its bricks, named by the peer's name (the address in the volume's brick list no longer
    # leads to any peer).
    mapfile -t lost < <(g volume info "$VOLUME" --xml |
        sed -n "s|.*<brick uuid=\"$uuid\">[^<:]*:\([^<]*\)<name>.*|$match:\1|p")
    if [ "${#lost[@]}" -gt 0 ]; then
        info=$(g volume info "$VOLUME")
        if grep -q "(arbiter)" <<< "$info"; then
            echo "volume $VOLUME has an arbiter; moving the first node's brick to a new host is not supported here" >&2
            exit 1
        fi
        count=$(grep -c '^Brick[0-9]*:' <<< "$info")
        echo "the first node's host is new: its lost brick ${lost[*]} leaves the volume (replica $((count - ${#lost[@]})))" >&2
        g volume remove-brick "$VOLUME" replica "$((count - ${#lost[@]}))" "${lost[@]}" force >&2
    fi
    echo "detaching the lost host's peer $match ($uuid)" >&2
    g peer detach "$match" force >&2
done <<< "$peers"
echo "probing $FIRST into the trusted pool of volume $VOLUME: the first node's host is new" >&2
g peer probe "$FIRST" >&2
