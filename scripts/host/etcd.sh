#!/usr/bin/env bash
# One etcd member with certificate-verified TLS for peers and clients; waits for the member to be
# healthy (which needs a quorum of members). A member with no data that finds a running cluster
# among the other nodes is added to it first and joins it: that is how the cluster grows, and how
# a lost host is replaced under the same name.
# Given KEEP (every configured member's peer URL; set on one node only), members not among them
# are removed once this one is healthy: that is how the cluster shrinks.
# Membership changes need etcd's root user once access control is on (the etcd-auth step): its
# certificate is kept in ROOT_DIR, root's alone.
# Reads: NODE_NAME, ETCD_ENV, TLS_DIR, PEER_URL (this member's), OTHERS (other members' client
# URLs), KEEP, ROOT_DIR, ROOT_CERT, ROOT_KEY.
set -euo pipefail
: "${NODE_NAME:?}" "${ETCD_ENV:?}" "${TLS_DIR:?}" "${PEER_URL:?}" "${ROOT_DIR:?}" "${ROOT_CERT:?}" "${ROOT_KEY:?}"
OTHERS=${OTHERS:-}
KEEP=${KEEP:-}
copy_node_tls "$TLS_DIR" etcd
changed=$TLS_CHANGED
etcd_root_cert "$ROOT_DIR" "$ROOT_CERT" "$ROOT_KEY"
ctl() {
    ETCDCTL_API=3 etcdctl --cacert="$TLS_DIR/ca.crt" --cert="$ROOT_DIR/root.crt" --key="$ROOT_DIR/root.key" --command-timeout=5s "$@"
}

env_file=$ETCD_ENV
if [ ! -d /var/lib/etcd/paperless-ha/member ]; then
    for ep in $OTHERS; do
        if members=$(ctl --endpoints="$ep" member list 2>/dev/null); then
            # A member under this name at another address is this node's lost predecessor (its
            # host was replaced): it goes before the new one is added, or the add would count it
            # towards a quorum it can never answer. (A member at this very address may be a peer of
            # a first bootstrap that has not started yet, and stays.)
            while IFS=', ' read -r id _ name url _; do
                if [ "$name" = "$NODE_NAME" ] && [ "$url" != "$PEER_URL" ]; then
                    echo "[$NODE_NAME] removing etcd member $id ($url): this node's lost predecessor" >&2
                    # Another node's shrink step may have removed it a moment ago.
                    ctl --endpoints="$ep" member remove "$id" >&2 || true
                    members=$(ctl --endpoints="$ep" member list)
                fi
            done <<< "$members"
            if ! grep -qF ", $PEER_URL," <<< "$members"; then
                echo "[$NODE_NAME] joining the running etcd cluster through $ep" >&2
                etcd_member_add "$ep" "$NODE_NAME" "$PEER_URL"
            fi
            env_file=${ETCD_ENV/ETCD_INITIAL_CLUSTER_STATE=\"new\"/ETCD_INITIAL_CLUSTER_STATE=\"existing\"}
            break
        fi
    done
fi
# Initial-cluster settings only matter before a member has data; a running member ignores them,
# so a change there (another node joining) is no reason to restart it.
settings() { grep -v '^ETCD_INITIAL_' || true; }
if file_differs /etc/default/etcd "$env_file"; then
    if [ "$(printf '%s' "$env_file" | settings)" != "$(settings < /etc/default/etcd 2>/dev/null)" ]; then changed=1; fi
    printf '%s' "$env_file" > /etc/default/etcd
fi
systemctl enable etcd >/dev/null 2>&1
if [ "$changed" = "1" ] || ! systemctl is-active -q etcd; then
    # Members wait for each other: do not block on one before the others start.
    systemctl restart --no-block etcd
fi
local_ctl() { ctl --endpoints=https://127.0.0.1:2379 "$@"; }
healthy=0
for _ in $(seq 1 90); do
    if local_ctl endpoint health >/dev/null 2>&1; then healthy=1; break; fi
    sleep 2
done
if [ "$healthy" = "0" ]; then
    journalctl -u etcd -n 20 --no-pager >&2 || true
    echo "[$NODE_NAME] etcd is not healthy (are the other members up?)" >&2
    exit 1
fi
echo "[$NODE_NAME] etcd healthy" >&2
if [ -n "$KEEP" ]; then
    members=$(local_ctl member list)
    while IFS=', ' read -r id _ name url _; do
        [ -n "$id" ] || continue
        if ! grep -qxF "$url" <<< "$(tr ' ' '\n' <<< "$KEEP")"; then
            echo "[$NODE_NAME] removing etcd member ${name:-$id} ($url): its node is no longer listed" >&2
            # A replaced node's own step may have removed its predecessor a moment ago.
            if ! local_ctl member remove "$id" >&2 && grep -q "^$id, " <<< "$(local_ctl member list)"; then exit 1; fi
        fi
    done <<< "$members"
fi
