#!/usr/bin/env bash
# Who may connect: pg_hba.conf admits the cluster's addresses only. Reads: PG_VERSION, HBA.
set -euo pipefail
: "${PG_VERSION:?}" "${HBA:?}"
hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
put_file "$hba" 0640 "$HBA" postgres
[ "$FILE_CHANGED" = 0 ] || pg_ctlcluster "$PG_VERSION" main reload >&2
