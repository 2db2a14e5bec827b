#!/usr/bin/env bash
# nftables input policy in its own table, loaded at boot by its own unit, so the distribution's
# /etc/nftables.conf (which flushes the whole ruleset, Docker's rules included) is never used.
# Reads: ENABLED (1|0), RULESET.
set -euo pipefail
: "${ENABLED:?}"
dir=/etc/paperless-ha
unit=/etc/systemd/system/paperless-ha-firewall.service
if [ "$ENABLED" != "1" ]; then
    systemctl disable --now paperless-ha-firewall.service >/dev/null 2>&1 || true
    nft list table inet paperless_ha >/dev/null 2>&1 && nft delete table inet paperless_ha
    rm -f "$unit" "$dir/firewall.nft"
    exit 0
fi
: "${RULESET:?}"
mkdir -p "$dir"
tmp=$(mktemp "$dir/firewall.nft.XXXXXX")
trap 'rm -f "$tmp"' EXIT
printf '%s' "$RULESET" > "$tmp"
nft -c -f "$tmp"
mv "$tmp" "$dir/firewall.nft"
cat > "$unit" <<UNIT
[Unit]
Description=paperless-ha firewall
Before=network-pre.target
Wants=network-pre.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/usr/sbin/nft -f $dir/firewall.nft
ExecStop=/usr/sbin/nft delete table inet paperless_ha

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable paperless-ha-firewall.service >/dev/null 2>&1
nft -f "$dir/firewall.nft"
