#!/usr/bin/env bash
# Through whichever node is primary: the application role and its database. A leader on a node
# taken off the list first hands over to a listed standby: that node is torn down only after this
# step, and until then no listed node would be writable.
# Reads: PG_HOSTS (comma separated), PG_PORT, CA_CERT, SUPERUSER_PASSWORD, DB_NAME, APP_USER,
# APP_PASSWORD, MEMBERS (every listed node's name).
set -euo pipefail
: "${PG_HOSTS:?}" "${PG_PORT:?}" "${CA_CERT:?}" "${SUPERUSER_PASSWORD:?}" "${DB_NAME:?}" "${APP_USER:?}" "${APP_PASSWORD:?}"
cd /
MEMBERS=${MEMBERS:-}
if [ -n "$MEMBERS" ] && command -v patronictl >/dev/null && list=$(patronictl -c /etc/patroni/config.yml list -f json 2>/dev/null); then
    # The leader if it is not listed, and a listed running standby (the synchronous one first).
    handover=$(MEMBERS="$MEMBERS" python3 -c '
import json, os, sys
members = json.load(sys.stdin)
keep = os.environ["MEMBERS"].split()
leader = [m["Member"] for m in members if m["Role"] == "Leader" and m["Member"] not in keep]
standbys = sorted((m for m in members if m["Member"] in keep and m["Role"] in ("Sync Standby", "Replica")
                   and m["State"] in ("streaming", "running")), key=lambda m: m["Role"] != "Sync Standby")
if leader and standbys:
    print(leader[0], standbys[0]["Member"])
' <<< "$list")
    if [ -n "$handover" ]; then
        read -r leader candidate <<< "$handover"
        echo "$leader leaves the cluster: handing its leadership to $candidate" >&2
        patronictl -c /etc/patroni/config.yml switchover --leader "$leader" --candidate "$candidate" --force >&2
    fi
fi
# libpq reads the password from the environment, not from its arguments.
export PGPASSWORD="$SUPERUSER_PASSWORD"
conn="host=$PG_HOSTS port=$PG_PORT user=postgres dbname=postgres sslmode=verify-full sslrootcert=$CA_CERT target_session_attrs=read-write connect_timeout=5"
for _ in $(seq 1 150); do
    psql "$conn" -qtAc "SELECT 1" >/dev/null 2>&1 && break
    sleep 2
done
sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }
psql "$conn" -v ON_ERROR_STOP=1 -q <<SQL
SELECT format('CREATE ROLE %I', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$APP_USER')\gexec
ALTER ROLE "$APP_USER" WITH LOGIN NOSUPERUSER PASSWORD $(sql_quote "$APP_PASSWORD");
SELECT format('CREATE DATABASE %I OWNER %I', '$DB_NAME', '$APP_USER') WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$DB_NAME')\gexec
SQL
psql "$conn" -qtAc "SELECT inet_server_addr()"
