#!/usr/bin/env bash
# Start Patroni as postgres: the node certificate (bind-mounted from the host, root-only) is copied
# where PostgreSQL may read it, and the passwords come from Docker secrets into Patroni's
# environment, never into its config file.
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
exec setpriv --reuid=postgres --regid=postgres --init-groups env HOME=/var/lib/postgresql patroni "${1:-/etc/patroni/patroni.yml}"
