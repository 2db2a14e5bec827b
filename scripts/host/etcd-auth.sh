#!/usr/bin/env bash
# etcd's access control, run once every Patroni has its etcd user and certificate: a role that reads
# and writes the Patroni cluster's keys only, Patroni's user with that role and its password, the
# root user (no password: only the certificate naming it signs in as root), then authentication on.
# From then on a client needs a user: a node's certificate names none and gets nothing.
# Each grant is checked first and made only when missing. The password is set on every run (the
# step runs when it changes): that ends Patroni's sessions, which sign in again on their next request.
# Reads: ENDPOINT, CA_CERT, ROOT_DIR (root.crt, root.key), PATRONI_USER, PATRONI_PREFIX,
# PATRONI_PASSWORD; IMAGE (swarm: etcdctl runs from the etcd image).
set -euo pipefail
: "${ENDPOINT:?}" "${CA_CERT:?}" "${ROOT_DIR:?}" "${PATRONI_USER:?}" "${PATRONI_PREFIX:?}" "${PATRONI_PASSWORD:?}"
IMAGE=${IMAGE:-}
role=$PATRONI_USER

# etcdctl as root; its stdin is what the caller gives (never this script's, which bash reads on).
ctl() {
    local args=(--endpoints="$ENDPOINT" --cacert="$CA_CERT" --cert="$ROOT_DIR/root.crt" --key="$ROOT_DIR/root.key"
        --dial-timeout=3s --command-timeout=10s "$@")
    if [ -n "$IMAGE" ]; then
        timeout 60 docker run --rm -i --network host -v "$ROOT_DIR:$ROOT_DIR:ro" -v "$CA_CERT:$CA_CERT:ro" \
            --entrypoint etcdctl "$IMAGE" "${args[@]}"
    else
        ETCDCTL_API=3 timeout 60 etcdctl "${args[@]}"
    fi
}
# The password is read from stdin by etcdctl: never an argument.
password_in() { printf '%s\n' "$PATRONI_PASSWORD"; }

ctl role get "$role" </dev/null >/dev/null 2>&1 || ctl role add "$role" </dev/null >&2
grants=$(ctl role get "$role" </dev/null)
if [ "$(grep -cF "(prefix $PATRONI_PREFIX)" <<< "$grants")" != "2" ]; then
    ctl role grant-permission "$role" --prefix=true readwrite "$PATRONI_PREFIX" </dev/null >&2
fi
if ctl user get "$PATRONI_USER" </dev/null >/dev/null 2>&1; then
    password_in | ctl user passwd "$PATRONI_USER" --interactive=false >/dev/null
else
    password_in | ctl user add "$PATRONI_USER" --interactive=false >&2
fi
grep -qE "^Roles:.* $role( |\$)" <<< "$(ctl user get "$PATRONI_USER" </dev/null)" || ctl user grant-role "$PATRONI_USER" "$role" </dev/null >&2
ctl user get root </dev/null >/dev/null 2>&1 || ctl user add root --no-password </dev/null >&2
grep -qE "^Roles:.* root( |\$)" <<< "$(ctl user get root </dev/null)" || ctl user grant-role root root </dev/null >&2
ctl auth enable </dev/null >&2
echo "etcd: access control on; $PATRONI_USER may read and write $PATRONI_PREFIX only" >&2
