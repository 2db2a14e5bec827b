#!/usr/bin/env bash
# nftables input policy in its own table, loaded at boot by its own unit, so the distribution's
# /etc/nftables.conf (which flushes the whole ruleset, Docker's rules included) is never used.
# Reads: ENABLED (1|0), RULESET, MANAGEMENT_CIDRS (the sources SSH admits, space-separated).
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
# admitted IP: whether IP lies in MANAGEMENT_CIDRS, asked of nftables itself through a scratch
# table's interval set (which merges overlapping networks).
admitted() {
    local ip=${1#::ffff:} type=ipv4_addr cidrs=() c rc=0
    [[ $ip != *:* ]] || type=ipv6_addr
    for c in ${MANAGEMENT_CIDRS:-}; do
        case $c in
            *:*) [ "$type" != ipv6_addr ] || cidrs+=("$c") ;;
            *) [ "$type" != ipv4_addr ] || cidrs+=("$c") ;;
        esac
    done
    [ ${#cidrs[@]} -gt 0 ] || return 1
    nft -f - <<NFT || return 1
table inet paperless_ha_check
delete table inet paperless_ha_check
table inet paperless_ha_check {
    set admitted {
        type $type; flags interval; auto-merge
        elements = { $(IFS=,; echo "${cidrs[*]}") }
    }
}
NFT
    nft get element inet paperless_ha_check admitted "{ $ip }" >/dev/null 2>&1 || rc=1
    nft delete table inet paperless_ha_check
    return $rc
}
# The session this runs in must survive the policy: its source stays admitted to SSH.
if [ -n "${SSH_CONNECTION:-}" ]; then
    read -r client _ <<< "$SSH_CONNECTION"
    if ! admitted "$client"; then
        echo "firewall.managementCidrs ($MANAGEMENT_CIDRS) does not admit $client, the address this deployment connects from: loading the policy would lock it out of SSH. Add $client (or its network) to firewall.managementCidrs." >&2
        exit 1
    fi
fi
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
