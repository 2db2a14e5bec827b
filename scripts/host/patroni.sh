#!/usr/bin/env bash
# Patroni on this node: it owns PostgreSQL from here on (Debian's own cluster is stopped and kept
# from starting), and the node is up once Patroni's REST API reports PostgreSQL running.
# Reads: NODE_NAME, PG_VERSION, TLS_DIR, DATA_DIR, REST_ADDRESS (host:port), CONFIG.
set -euo pipefail
: "${NODE_NAME:?}" "${PG_VERSION:?}" "${TLS_DIR:?}" "${DATA_DIR:?}" "${REST_ADDRESS:?}" "${CONFIG:?}"
cd /
if [ -d "/etc/postgresql/$PG_VERSION/main" ]; then
    pg_ctlcluster "$PG_VERSION" main stop >/dev/null 2>&1 || true
    echo disabled > "/etc/postgresql/$PG_VERSION/main/start.conf"
    systemctl disable "postgresql@$PG_VERSION-main" >/dev/null 2>&1 || true
fi
copy_node_tls "$TLS_DIR" postgres
install -d -o postgres -g postgres -m 0750 /etc/patroni
put_file /etc/patroni/config.yml 0600 "$CONFIG" postgres
systemctl enable patroni >/dev/null 2>&1
if ! systemctl is-active -q patroni; then
    systemctl start patroni
elif [ "$TLS_CHANGED$FILE_CHANGED" != "00" ]; then
    systemctl reload patroni
fi
for _ in $(seq 1 150); do
    code=$(curl -s -m 5 -o /dev/null -w '%{http_code}' --cacert "$TLS_DIR/ca.crt" "https://$REST_ADDRESS/health" || true)
    if [ "$code" = "200" ]; then echo "[$NODE_NAME] PostgreSQL running under Patroni" >&2; exit 0; fi
    sleep 2
done
journalctl -u patroni -n 30 --no-pager >&2 || true
echo "[$NODE_NAME] Patroni did not report PostgreSQL running (REST API at $REST_ADDRESS)" >&2
exit 1
