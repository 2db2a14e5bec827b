#!/usr/bin/env bash
# Patroni on this node: it owns PostgreSQL from here on (Debian's own cluster is stopped and kept
# from starting), and the node is up once Patroni's REST API reports PostgreSQL running.
# Its etcd client certificate goes beside the node's, the postgres user's alone.
# Reads: NODE_NAME, PG_VERSION, TLS_DIR, DATA_DIR, REST_ADDRESS (host:port), CONFIG,
# ETCD_CLIENT_CERT, ETCD_CLIENT_KEY.
set -euo pipefail
: "${NODE_NAME:?}" "${PG_VERSION:?}" "${TLS_DIR:?}" "${DATA_DIR:?}" "${REST_ADDRESS:?}" "${CONFIG:?}"
: "${ETCD_CLIENT_CERT:?}" "${ETCD_CLIENT_KEY:?}"
cd /
if [ -d "/etc/postgresql/$PG_VERSION/main" ]; then
    pg_ctlcluster "$PG_VERSION" main stop >/dev/null 2>&1 || true
    echo disabled > "/etc/postgresql/$PG_VERSION/main/start.conf"
    systemctl disable "postgresql@$PG_VERSION-main" >/dev/null 2>&1 || true
fi
copy_node_tls "$TLS_DIR" postgres
put_file "$TLS_DIR/etcd-client.crt" 0600 "$ETCD_CLIENT_CERT" postgres
put_file "$TLS_DIR/etcd-client.key" 0600 "$ETCD_CLIENT_KEY" postgres
install -d -o postgres -g postgres -m 0750 /etc/patroni
put_file /etc/patroni/config.yml 0600 "$CONFIG" postgres
systemctl enable patroni >/dev/null 2>&1
# Patroni reads its etcd certificate only when it starts: a running one given another restarts
# (once, as the marker of what it started with says, even after an interrupted run).
started=$TLS_DIR/etcd-client.crt.started
if ! systemctl is-active -q patroni; then
    systemctl start patroni
elif ! cmp -s "$TLS_DIR/etcd-client.crt" "$started"; then
    echo "[$NODE_NAME] restarting Patroni: its etcd client certificate changed" >&2
    systemctl restart patroni
elif [ "$TLS_CHANGED$FILE_CHANGED" != "00" ]; then
    systemctl reload patroni
fi
for _ in $(seq 1 150); do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$TLS_DIR/ca.crt" "https://$REST_ADDRESS/health" || true)
    if [ "$code" = "200" ]; then
        cp "$TLS_DIR/etcd-client.crt" "$started"
        echo "[$NODE_NAME] PostgreSQL running under Patroni" >&2
        exit 0
    fi
    sleep 2
done
journalctl -u patroni -n 30 --no-pager >&2 || true
echo "[$NODE_NAME] Patroni did not report PostgreSQL running (REST API at $REST_ADDRESS)" >&2
exit 1
