#!/usr/bin/env bash
# Start Patroni as postgres: the node certificate (bind-mounted from the host, root-only) is copied
# where PostgreSQL may read it, the database passwords come from Docker secrets into Patroni's
# environment, never into its config file, and the etcd endpoints from a host file (so a manager given a new
# address changes no Patroni's config; a running Patroni learns the new member from etcd itself).
set -euo pipefail
tls_src=/etc/paperless-ha/tls
tls_dir=/var/lib/postgresql/paperless-ha-tls
data=/var/lib/postgresql/paperless-ha
install -d -o postgres -g postgres -m 0700 "$tls_dir" "$data"
for f in ca.crt node.crt node.key; do
    install -o postgres -g postgres -m 0600 "$tls_src/$f" "$tls_dir/$f"
done
chown postgres:postgres "$data"
secret() { tr -d '\n' < "/run/secrets/$1"; }
PATRONI_SUPERUSER_PASSWORD=$(secret pg_superuser_password)
PATRONI_REWIND_PASSWORD=$PATRONI_SUPERUSER_PASSWORD
PATRONI_REPLICATION_PASSWORD=$(secret pg_replication_password)
export PATRONI_SUPERUSER_PASSWORD PATRONI_REWIND_PASSWORD PATRONI_REPLICATION_PASSWORD
# The config Patroni and patronictl (docker exec) read: the service's, plus the etcd endpoints and
# the REST API's password, so the file is the postgres user's alone.
etcd_hosts=/etc/paperless-ha/etcd/hosts
[ -s "$etcd_hosts" ] || { echo "no etcd endpoints in $etcd_hosts (written by the swarm-etcd step)" >&2; exit 1; }
install -o postgres -g postgres -m 0600 /dev/null /etc/patroni/patroni.yml
python3 - "${1:-/etc/patroni/base.yml}" "$etcd_hosts" /run/secrets/patroni_api_password > /etc/patroni/patroni.yml <<'PY'
import sys, yaml
config = yaml.safe_load(open(sys.argv[1]))
config.setdefault("etcd3", {})["hosts"] = open(sys.argv[2]).read().split()
config["restapi"]["authentication"]["password"] = open(sys.argv[3]).read().strip()
yaml.safe_dump(config, sys.stdout)
PY
exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql patroni /etc/patroni/patroni.yml
