#!/usr/bin/env bash
# Install the Debian tools the fast test tier checks rendered config with, when missing.
# Idempotent and quick when everything is present.
set -euo pipefail
PG_VERSION=${PG_VERSION:-15}
need=()
command -v shellcheck >/dev/null || need+=(shellcheck)
command -v haproxy >/dev/null || [ -x /usr/sbin/haproxy ] || need+=(haproxy)
command -v nft >/dev/null || [ -x /usr/sbin/nft ] || need+=(nftables)
command -v openssl >/dev/null || need+=(openssl)
command -v runuser >/dev/null || need+=(util-linux)
command -v patroni >/dev/null || need+=(patroni)
command -v etcd >/dev/null || need+=(etcd-server)
command -v etcdctl >/dev/null || need+=(etcd-client)
command -v python3 >/dev/null || need+=(python3)
# Debian's own python3, which Debian's python3-dotenv serves (a python3 first on PATH may be another).
/usr/bin/python3 -c "import dotenv" 2>/dev/null || need+=(python3-dotenv)
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/sbin/keepalived ] || need+=(keepalived)
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v docker >/dev/null || need+=(docker.io)
[ -x "/usr/lib/postgresql/$PG_VERSION/bin/postgres" ] && id postgres >/dev/null 2>&1 || need+=("postgresql-$PG_VERSION")
# Rendered stacks are checked with `docker stack config`, which runs client side only and exists
# from Docker CLI 23 on (Debian 12's docker.io 20.10 lacks it; its help exits 0 all the same).
check_docker_cli() {
    grep -q '^ *config ' <<< "$(docker stack --help 2>/dev/null)" && return 0
    echo "the docker CLI on PATH ($(command -v docker)) has no 'docker stack config'; put a Docker CLI 23 or newer first on PATH" >&2
    return 1
}
bash "$(dirname "$0")/install-missing.sh" "test tools" "${need[@]}"
check_docker_cli
# actionlint checks the GitHub workflows; built once from its Go module into a cache outside the clone.
ACTIONLINT_VERSION=v1.7.12
bin="${PAPERLESS_HA_CACHE:-/var/cache/paperless-ha}/tools/bin"
installed=$("$bin/actionlint" -version 2>/dev/null || true)
if [ "${installed%%$'\n'*}" != "$ACTIONLINT_VERSION" ]; then
    command -v go >/dev/null || { echo "missing Go, which builds actionlint (apt-get install golang-go)" >&2; exit 1; }
    echo "building actionlint $ACTIONLINT_VERSION into $bin" >&2
    mkdir -p "$bin"
    GOBIN="$bin" timeout 600 go install "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
