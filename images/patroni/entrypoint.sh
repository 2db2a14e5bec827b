#!/usr/bin/env bash
# Start Patroni as postgres: the node certificate (bind-mounted from the host, root-only) is copied
# where PostgreSQL may read it, the database passwords come from Docker secrets into Patroni's
# environment, never into its config file, and the lists that name other nodes from host files (so
# a node joining or given a new address changes no service's config).
# `--write-config BASE` only rewrites the config (the host step then has the running Patroni reload).
set -euo pipefail

# The config Patroni and patronictl (docker exec) read: the service's, plus the etcd endpoints, the
# nodes pg_hba admits (each line naming NODE_CIDR repeated per node), the REST API's password and
# Patroni's etcd user's, so the file is the postgres user's alone.
write_config() {
    local conf=/etc/paperless-ha/etcd f
    for f in hosts hba-sources; do
        [ -s "$conf/$f" ] || { echo "no $conf/$f (written by the swarm-etcd step)" >&2; exit 1; }
    done
    install -o postgres -g postgres -m 0600 /dev/null /etc/patroni/patroni.yml.new
    python3 - "$1" "$conf/hosts" "$conf/hba-sources" /run/secrets/patroni_api_password /run/secrets/etcd_patroni_password \
        > /etc/patroni/patroni.yml.new <<'PY'
import sys, yaml
base, hosts, sources, api_secret, etcd_secret = sys.argv[1:6]
config = yaml.safe_load(open(base))
config.setdefault("etcd3", {})["hosts"] = open(hosts).read().split()
nodes = open(sources).read().split()
def per_node(lines):
    return [line.replace("NODE_CIDR", n) for line in lines for n in (nodes if "NODE_CIDR" in line else [""])]
config["postgresql"]["pg_hba"] = per_node(config["postgresql"]["pg_hba"])
config["bootstrap"]["pg_hba"] = per_node(config["bootstrap"]["pg_hba"])
config["restapi"]["authentication"]["password"] = open(api_secret).read().strip()
config["etcd3"]["password"] = open(etcd_secret).read().strip()
yaml.safe_dump(config, sys.stdout)
PY
    mv -f /etc/patroni/patroni.yml.new /etc/patroni/patroni.yml
}
if [ "${1:-}" = "--write-config" ]; then
    write_config "${2:?--write-config BASE}"
    exit 0
fi

tls_src=/etc/paperless-ha/tls
tls_dir=/var/lib/postgresql/paperless-ha-tls
data=/var/lib/postgresql/paperless-ha
install -d -o postgres -g postgres -m 0700 "$tls_dir" "$data"
for f in ca.crt node.crt node.key; do
    install -o postgres -g postgres -m 0600 "$tls_src/$f" "$tls_dir/$f"
done
# Patroni's own etcd certificate (see the config's etcd3 section), a Docker secret.
install -o postgres -g postgres -m 0600 /run/secrets/etcd_client_cert "$tls_dir/etcd-client.crt"
install -o postgres -g postgres -m 0600 /run/secrets/etcd_client_key "$tls_dir/etcd-client.key"
chown postgres:postgres "$data"
secret() { tr -d '\n' < "/run/secrets/$1"; }
PATRONI_SUPERUSER_PASSWORD=$(secret pg_superuser_password)
PATRONI_REWIND_PASSWORD=$PATRONI_SUPERUSER_PASSWORD
PATRONI_REPLICATION_PASSWORD=$(secret pg_replication_password)
export PATRONI_SUPERUSER_PASSWORD PATRONI_REWIND_PASSWORD PATRONI_REPLICATION_PASSWORD
write_config "${1:-/etc/patroni/base.yml}"
exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql patroni /etc/patroni/patroni.yml
