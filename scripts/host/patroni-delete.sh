#!/usr/bin/env bash
# Stop Patroni (and with it PostgreSQL). The data directory is set aside, not reused: a later `up`
# builds a new cluster with new credentials, and the old files wait for a restore (RETAIN=1), or
# are dropped (RETAIN=0). Reads: DATA_DIR, RETAIN.
set -euo pipefail
: "${DATA_DIR:?}" "${RETAIN:?}"
systemctl disable --now patroni >/dev/null 2>&1 || true
rm -f /etc/patroni/config.yml
retire "$DATA_DIR" "$RETAIN"
