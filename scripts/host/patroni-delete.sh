#!/usr/bin/env bash
# Stop Patroni (and with it PostgreSQL). The data directory is set aside, not reused: a later `up`
# builds a new cluster with new credentials, and the old files wait for a restore (RETAIN=1), or
# are dropped (RETAIN=0).
set -euo pipefail
: "${DATA_DIR:?}" "${RETAIN:?}"
systemctl disable --now patroni >/dev/null 2>&1 || true
rm -f /etc/patroni/config.yml
if [ ! -d "$DATA_DIR" ]; then exit 0; fi
if [ "$RETAIN" = "0" ]; then
    rm -rf "$DATA_DIR"
else
    kept="$DATA_DIR.retained-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$DATA_DIR" "$kept"
    echo "database files kept in $kept" >&2
fi
