#!/usr/bin/env bash
# Stop keepalived, which releases the virtual address if this node holds it, and remove its config.
set -euo pipefail
systemctl disable --now keepalived >/dev/null 2>&1 || true
rm -f /etc/keepalived/keepalived.conf
