#!/usr/bin/env bash
# One etcd member with certificate-verified TLS for peers and clients; waits for the member to be
# healthy (which needs a quorum of members). Reads: NODE_NAME, ETCD_ENV, TLS_DIR.
set -euo pipefail
: "${NODE_NAME:?}" "${ETCD_ENV:?}" "${TLS_DIR:?}"
copy_node_tls "$TLS_DIR" etcd
changed=$TLS_CHANGED
if ! printf '%s' "$ETCD_ENV" | cmp -s - /etc/default/etcd; then
    printf '%s' "$ETCD_ENV" > /etc/default/etcd
    changed=1
fi
systemctl enable etcd >/dev/null 2>&1
if [ "$changed" = "1" ] || ! systemctl is-active -q etcd; then
    # Members wait for each other: do not block on one before the others start.
    systemctl restart --no-block etcd
fi
health() {
    ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert="$TLS_DIR/ca.crt" \
        --cert="$TLS_DIR/node.crt" --key="$TLS_DIR/node.key" --command-timeout=3s endpoint health >/dev/null 2>&1
}
for _ in $(seq 1 90); do
    if health; then echo "[$NODE_NAME] etcd healthy" >&2; exit 0; fi
    sleep 2
done
journalctl -u etcd -n 20 --no-pager >&2 || true
echo "[$NODE_NAME] etcd is not healthy (are the other members up?)" >&2
exit 1
