#!/usr/bin/env bash
# Stop this node's PostgreSQL; drop its cluster only when asked (RETAIN=0).
set -euo pipefail
: "${PG_VERSION:?}" "${RETAIN:?}"
if [ "$RETAIN" = "0" ]; then
    pg_dropcluster --stop "$PG_VERSION" main >&2 || true
    rm -rf /var/lib/postgresql/paperless-ha-tls /var/lib/postgresql/.pgpass
else
    pg_ctlcluster "$PG_VERSION" main stop >&2 || true
    systemctl disable "postgresql@$PG_VERSION-main" >/dev/null 2>&1 || true
    echo "database files kept in /var/lib/postgresql/$PG_VERSION/main" >&2
fi
