#!/usr/bin/env bash
# Stop this node's Redis and Sentinel and remove what the redis step wrote: Redis holds a queue and
# a cache only, so its files go too. The packages stay (the base step removes none).
# Reads: CONF_DIR, HELPER, STATE_FILE.
set -euo pipefail
: "${CONF_DIR:?}" "${HELPER:?}" "${STATE_FILE:?}"
for unit in redis-server@paperless-ha redis-sentinel@paperless-ha; do
    systemctl disable --now "$unit" >/dev/null 2>&1 || true
done
rm -rf /etc/systemd/system/redis-server@paperless-ha.service.d "$CONF_DIR"
rm -f "$HELPER" "$STATE_FILE" /var/lib/redis/paperless-ha.rdb
rm -rf /var/lib/redis/paperless-ha-aof
systemctl daemon-reload
