#!/usr/bin/env bash
# Stop this etcd member and drop its data: it only coordinates the database cluster being removed
# (and a leftover would keep a new cluster from bootstrapping), and etcd's root certificate.
# Reads: ROOT_DIR.
set -euo pipefail
: "${ROOT_DIR:?}"
systemctl disable --now etcd >/dev/null 2>&1 || true
rm -rf /var/lib/etcd/paperless-ha
rm -f /etc/default/etcd
rm -rf "$ROOT_DIR"
