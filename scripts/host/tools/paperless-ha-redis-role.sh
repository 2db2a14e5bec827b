#!/usr/bin/env bash
# paperless-ha redis-role ROLE_CONF OUT: decides, before each start of this node's Redis, whether
# it starts as the master or as a replica of the current one, and writes OUT (`replicaof` or
# nothing) for redis.conf to include. With `--master` instead of OUT it prints the master's address.
# The master is the one the other Sentinels name (this node's own Sentinel may have slept through
# a failover), else the one this node's Sentinel last knew, else, on a new cluster, the `redis`
# node. Installed by paperless-ha; ROLE_CONF holds `key value` lines (read, never sourced).
set -euo pipefail
conf=${1:?usage: redis-role ROLE_CONF OUT|--master}
out=${2:?usage: redis-role ROLE_CONF OUT|--master}
name='' self='' port='' first='' state='' passfile=''
peers=() locals=()
while read -r key value sport flag; do
    case $key in
        name) name=$value ;;
        self) self=$value ;;
        port) port=$value ;;
        first) first=$value ;;
        state) state=$value ;;
        password) passfile=$value ;;
        sentinel) if [ "${flag:-}" = local ]; then locals+=("$value $sport"); else peers+=("$value $sport"); fi ;;
    esac
done < "$conf"
: "${name:?}" "${self:?}" "${port:?}" "${first:?}" "${state:?}" "${passfile:?}"

# ask ADDRESS PORT: the master that Sentinel names; fails when it does not answer within 2 s.
ask() {
    local reply
    reply=$(REDISCLI_AUTH=$(cat "$passfile") timeout 2 redis-cli --no-auth-warning --raw -h "$1" -p "$2" \
        SENTINEL get-master-addr-by-name "$name" 2>/dev/null | head -n 1) || true
    [[ "$reply" =~ ^[0-9A-Fa-f.:]+$ ]] && echo "$reply"
}

master=''
for s in "${peers[@]}" "${locals[@]}"; do
    # shellcheck disable=SC2086  # "address port"
    master=$(ask $s) && break
done
if [ -z "$master" ]; then
    # Sentinel's own file: `sentinel monitor NAME ADDRESS PORT QUORUM`, rewritten on every failover it saw.
    master=$(awk -v n="$name" '$1 == "sentinel" && $2 == "monitor" && $3 == n { print $4; exit }' "$state" 2>/dev/null || true)
    [[ "$master" =~ ^[0-9A-Fa-f.:]+$ ]] || master=$first
    echo "no Sentinel answered; the master is $master, from ${state} or the first node" >&2
fi
if [ "$out" = --master ]; then
    echo "$master"
    exit 0
fi
if [ "$master" = "$self" ]; then
    echo "starting as the master" >&2
    : > "$out"
else
    echo "starting as a replica of $master" >&2
    echo "replicaof $master $port" > "$out"
fi
chmod 0644 "$out"
