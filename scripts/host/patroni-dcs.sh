#!/usr/bin/env bash
# Patroni's cluster-wide settings (lease timing, synchronous mode) as the stack config says. Patroni
# reads them from its own file only when it bootstraps the cluster; after that they live in etcd,
# so a changed setting of a running cluster is written there (patronictl edit-config), and every
# member takes it on its next loop. Nothing is written when they match.
# Reads: DCS_SETTINGS (key=value, one per line), CONTAINER (swarm: a name filter for this node's
# Patroni container, where patronictl runs).
set -euo pipefail
: "${DCS_SETTINGS:?}"
CONTAINER=${CONTAINER:-}
cd /
if [ -n "$CONTAINER" ]; then
    c=$(docker ps -qf "name=$CONTAINER" | head -n 1)
    [ -n "$c" ] || { echo "no Patroni container ($CONTAINER) runs on this node" >&2; exit 1; }
    ctl() { timeout 60 docker exec "$c" patronictl -c /etc/patroni/patroni.yml "$@"; }
else
    ctl() { timeout 60 patronictl -c /etc/patroni/config.yml "$@"; }
fi
args=()
while IFS= read -r kv; do
    [[ $kv =~ ^[a-z_]+=[A-Za-z0-9]+$ ]] || { echo "not a Patroni setting: $kv" >&2; exit 1; }
    args+=(--set "$kv")
done <<< "$DCS_SETTINGS"
# Prints "Not changed", or the change it wrote.
ctl edit-config --force "${args[@]}" >&2
