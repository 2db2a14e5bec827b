#!/usr/bin/env bash
# Stop and remove this node's PostgreSQL cluster; its data directory is set aside (RETAIN=1) or
# dropped (RETAIN=0), so a later `up` starts a new, empty group. Reads: PG_VERSION, RETAIN.
set -euo pipefail
: "${PG_VERSION:?}" "${RETAIN:?}"
data="/var/lib/postgresql/$PG_VERSION/main"
pg_ctlcluster "$PG_VERSION" main stop >/dev/null 2>&1 || true
retire "$data" "$RETAIN"
pg_dropcluster "$PG_VERSION" main >/dev/null 2>&1 || rm -rf "/etc/postgresql/$PG_VERSION/main"
rm -rf /var/lib/postgresql/paperless-ha-tls /var/lib/postgresql/.pgpass
