#!/usr/bin/env bash
# Drop the managed firewall table and its unit.
set -euo pipefail
systemctl disable --now paperless-ha-firewall.service >/dev/null 2>&1 || true
if nft list table inet paperless_ha >/dev/null 2>&1; then nft delete table inet paperless_ha; fi
rm -f /etc/systemd/system/paperless-ha-firewall.service /etc/paperless-ha/firewall.nft
systemctl daemon-reload || true
