#!/usr/bin/env bash
# Who may connect: pg_hba.conf admits the cluster's addresses only. Reads: PG_VERSION, HBA.
set -euo pipefail
: "${PG_VERSION:?}" "${HBA:?}"
hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
put_file "$hba" 0640 "$HBA" postgres
[ "$FILE_CHANGED" = 1 ] || exit 0
# A stopped cluster reads the new file when it starts: nothing to reload, nothing to fail.
if pg_ctlcluster "$PG_VERSION" main status >/dev/null 2>&1; then
    pg_ctlcluster "$PG_VERSION" main reload >&2
else
    echo "PostgreSQL $PG_VERSION/main is not running here: its new pg_hba.conf takes effect when it starts" >&2
fi
