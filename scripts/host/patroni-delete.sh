#!/usr/bin/env bash
# Stop Patroni (and with it PostgreSQL); drop the data directory only when asked (RETAIN=0).
set -euo pipefail
: "${DATA_DIR:?}" "${RETAIN:?}"
systemctl disable --now patroni >/dev/null 2>&1 || true
rm -f /etc/patroni/config.yml
if [ "$RETAIN" = "0" ]; then
    rm -rf "$DATA_DIR"
else
    echo "database files kept in $DATA_DIR" >&2
fi
