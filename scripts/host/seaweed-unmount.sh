#!/usr/bin/env bash
# Stop and remove the SeaweedFS mount unit; the data stays in the volume servers. Reads: MOUNT_POINT.
set -euo pipefail
name=paperless-ha-weed-mount
systemctl disable --now "$name" >/dev/null 2>&1 || true
rm -f "/etc/systemd/system/$name.service"
systemctl daemon-reload
if [ -n "${MOUNT_POINT:-}" ]; then
    while findmnt -n "$MOUNT_POINT" >/dev/null; do umount -l "$MOUNT_POINT" || break; done
fi
