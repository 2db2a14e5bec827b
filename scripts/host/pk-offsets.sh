#!/usr/bin/env bash
# Give this node's sequences their own stride and residue (see components/database/sequences.ts).
# Reads: PG_PORT, DB_NAME, SQL; MIGRATED_WITH (the image the schema was migrated with: a new one
# re-runs this step, as a migration may bring new tables and their sequences).
set -euo pipefail
cd /
: "${PG_PORT:?}" "${DB_NAME:?}" "${SQL:?}"
printf '%s' "$SQL" | runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$PG_PORT" -d "$DB_NAME" >&2
