#!/usr/bin/env bash
# The cluster's virtual address: keepalived (VRRP) keeps it on one node whose HAProxy runs. The
# config is checked before it replaces the old one; the interface it names is the one holding this
# node's cluster address, found here (names differ between hosts).
# Reads: CONFIG (keepalived.conf with @INTERFACE@ for that interface), SRC_IP (the cluster address).
set -euo pipefail
: "${CONFIG:?}" "${SRC_IP:?}"
iface=$(ip -o addr show to "$SRC_IP")
iface=$(awk 'NR == 1 { print $2 }' <<< "$iface")
iface=${iface%%@*}
[[ $iface =~ ^[A-Za-z0-9_.-]+$ ]] || { echo "no interface of $(hostname) holds its cluster address $SRC_IP" >&2; exit 1; }
conf=/etc/keepalived/keepalived.conf
mkdir -p /etc/keepalived
tmp=$(mktemp /etc/keepalived/keepalived.conf.XXXXXX)
trap 'rm -f "$tmp"' EXIT
text=${CONFIG//@INTERFACE@/$iface}
printf '%s' "$text" > "$tmp"
keepalived -t -f "$tmp" >&2 || { echo "keepalived refuses the rendered config (above)" >&2; exit 1; }
put_file "$conf" 0600 "$text"
systemctl enable keepalived >/dev/null 2>&1
if [ "$FILE_CHANGED" = 1 ]; then
    systemctl reload-or-restart keepalived
else
    systemctl start keepalived
fi
systemctl is-active -q keepalived
