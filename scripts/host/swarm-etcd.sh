#!/usr/bin/env bash
# The files etcd and Patroni start from, kept on the host so that no service names another node's
# address: on every node the etcd endpoints Patroni's entrypoint reads; on a manager also its etcd
# member's config file. A member with no data that finds a running cluster among the other managers
# is added to it first (its lost predecessor under the same name removed) and starts as part of it:
# that is how a lost manager is replaced. etcdctl runs from the etcd image, which has it.
# The nodes pg_hba admits are here too: when they change, this node's running Patroni rewrites its
# config (its entrypoint's --write-config) and reloads, so a joining node may replicate at once and
# a departed one may log in no more, without any restart.
# Reads: CONF_DIR, ETCD_HOSTS, HBA_SOURCES, PATRONI_SERVICE (this node's Patroni service); on a
# manager also NODE_NAME, ETCD_CONF (initial-cluster-state new),
# DATA_DIR (the member's data on the host), PEER_URL (this member's), OTHERS (the other members'
# client URLs), IMAGE, TLS_DIR, and etcd's root certificate (membership changes need it once access
# control is on): ROOT_DIR, ROOT_CERT, ROOT_KEY.
set -euo pipefail
: "${CONF_DIR:?}" "${ETCD_HOSTS:?}" "${HBA_SOURCES:?}" "${PATRONI_SERVICE:?}"
ETCD_CONF=${ETCD_CONF:-}

install -d -m 0755 "$CONF_DIR"
put_file "$CONF_DIR/hosts" 0644 "$ETCD_HOSTS"
# Reloaded whenever the list is not what the running Patroni was last told, even after an
# interrupted run: the marker is written only once the reload was sent.
put_file "$CONF_DIR/hba-sources" 0644 "$HBA_SOURCES"
patroni=$(docker ps -qf "label=com.docker.swarm.service.name=$PATRONI_SERVICE" | head -n 1)
if [ -n "$patroni" ] && ! cmp -s "$CONF_DIR/hba-sources" "$CONF_DIR/hba-sources.loaded"; then
    timeout 60 docker exec "$patroni" paperless-ha-patroni --write-config /etc/patroni/base.yml
    docker kill -s HUP "$patroni" >/dev/null
    echo "Patroni on this node reloaded with pg_hba for: $(tr '\n' ' ' < "$CONF_DIR/hba-sources")" >&2
fi
[ -z "$patroni" ] || cp "$CONF_DIR/hba-sources" "$CONF_DIR/hba-sources.loaded"
[ -n "$ETCD_CONF" ] || exit 0

: "${NODE_NAME:?}" "${DATA_DIR:?}" "${PEER_URL:?}" "${IMAGE:?}" "${TLS_DIR:?}" "${ROOT_DIR:?}" "${ROOT_CERT:?}" "${ROOT_KEY:?}"
OTHERS=${OTHERS:-}
etcd_root_cert "$ROOT_DIR" "$ROOT_CERT" "$ROOT_KEY"
ctl() {
    timeout 60 docker run --rm --network host -v "$TLS_DIR/ca.crt:/ca.crt:ro" -v "$ROOT_DIR:$ROOT_DIR:ro" --entrypoint etcdctl "$IMAGE" \
        --cacert=/ca.crt --cert="$ROOT_DIR/root.crt" --key="$ROOT_DIR/root.key" \
        --dial-timeout=3s --command-timeout=5s "$@" </dev/null
}

conf=$ETCD_CONF
# A member that has written its log is one of the cluster; initial-cluster settings no longer apply.
if [ ! -d "$DATA_DIR/member/wal" ]; then
    for ep in $OTHERS; do
        members=$(ctl --endpoints="$ep" member list 2>/dev/null) || continue
        while IFS=', ' read -r id _ name url _; do
            # Under this name with no data here: its log is lost, whatever its address, so it rejoins anew.
            if [ "$name" = "$NODE_NAME" ]; then
                echo "[$NODE_NAME] removing etcd member $id ($url): this manager's lost predecessor" >&2
                ctl --endpoints="$ep" member remove "$id" >&2
                members=$(ctl --endpoints="$ep" member list)
            fi
        done <<< "$members"
        if ! grep -qF ", $PEER_URL," <<< "$members"; then
            echo "[$NODE_NAME] adding this manager to the running etcd cluster through $ep" >&2
            etcd_member_add "$ep" "$NODE_NAME" "$PEER_URL"
        fi
        conf=${conf/initial-cluster-state: new/initial-cluster-state: existing}
        break
    done
fi
put_file "$CONF_DIR/etcd.yml" 0644 "$conf"
echo "[$NODE_NAME] etcd config written ($(grep -o 'initial-cluster-state: [a-z]*' "$CONF_DIR/etcd.yml"))" >&2
