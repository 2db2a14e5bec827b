#!/usr/bin/env bash
# Unmount the volume and drop its fstab line. Reads: MOUNT_POINT.
set -euo pipefail
: "${MOUNT_POINT:?}"
# findmnt reads the mount table: `mountpoint` stats the directory, which fails on a mount whose
# client lost the volume ("Transport endpoint is not connected"), and would leave it behind.
while findmnt -n "$MOUNT_POINT" >/dev/null; do umount "$MOUNT_POINT" 2>/dev/null || umount -l "$MOUNT_POINT" || break; done
kept=$(awk -v mp="$MOUNT_POINT" '!($2 == mp && $3 == "glusterfs")' /etc/fstab)
printf '%s\n' "$kept" > /etc/fstab
