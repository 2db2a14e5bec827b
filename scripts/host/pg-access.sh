#!/usr/bin/env bash
# Who may connect: pg_hba.conf admits the cluster's addresses only. Reads: PG_VERSION, HBA.
set -euo pipefail
: "${PG_VERSION:?}" "${HBA:?}"
hba="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
if ! printf '%s' "$HBA" | cmp -s - "$hba"; then
    install -o postgres -g postgres -m 0640 /dev/null "$hba.new"
    printf '%s' "$HBA" > "$hba.new"
    mv "$hba.new" "$hba"
    pg_ctlcluster "$PG_VERSION" main reload >&2
fi
