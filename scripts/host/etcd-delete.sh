#!/usr/bin/env bash
# Stop this etcd member; drop its data only when asked (RETAIN=0).
set -euo pipefail
: "${RETAIN:?}"
systemctl disable --now etcd >/dev/null 2>&1 || true
if [ "$RETAIN" = "0" ]; then rm -rf /var/lib/etcd/paperless-ha; fi
rm -f /etc/default/etcd
