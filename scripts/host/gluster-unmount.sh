#!/usr/bin/env bash
# Unmount the volume and drop its fstab line.
set -euo pipefail
: "${MOUNT_POINT:?}"
if mountpoint -q "$MOUNT_POINT"; then umount "$MOUNT_POINT" || umount -l "$MOUNT_POINT"; fi
kept=$(awk -v mp="$MOUNT_POINT" '!($2 == mp && $3 == "glusterfs")' /etc/fstab)
printf '%s\n' "$kept" > /etc/fstab
