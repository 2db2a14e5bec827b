#!/usr/bin/env bash
# Stop scheduling backups on this node. The backups, the key that opens encrypted ones and the
# restore command stay: removing the cluster must not remove the way back.
set -euo pipefail
systemctl disable --now paperless-ha-backup.timer >/dev/null 2>&1 || true
rm -f /etc/systemd/system/paperless-ha-backup.timer /etc/systemd/system/paperless-ha-backup.service \
    /usr/local/sbin/paperless-ha-backup /etc/paperless-ha/backup.pgpass
systemctl daemon-reload
echo "backup timer removed; backups, /usr/local/sbin/paperless-ha-restore and its settings kept" >&2
