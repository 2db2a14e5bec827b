#!/usr/bin/env bash
# Mount the volume through fstab (so it returns after a reboot) and prepare the app's directories.
# Reads: VOLUME, SERVER, BACKUP_SERVERS (colon separated), MOUNT_POINT, APP_UID,
#        SUBDIRS (directories to make; empty on all nodes but one).
set -euo pipefail
: "${VOLUME:?}" "${SERVER:?}" "${MOUNT_POINT:?}" "${APP_UID:?}"
SUBDIRS=${SUBDIRS:-}
BACKUP_SERVERS=${BACKUP_SERVERS:-}
opts="defaults,_netdev"
[ -z "$BACKUP_SERVERS" ] || opts="$opts,backup-volfile-servers=$BACKUP_SERVERS"
line="$SERVER:/$VOLUME $MOUNT_POINT glusterfs $opts 0 0"
if ! grep -qxF "$line" /etc/fstab; then
    others=$(awk -v mp="$MOUNT_POINT" '!($2 == mp && $3 == "glusterfs")' /etc/fstab)
    # A live mount keeps its options: new fallback servers apply at the next mount, and the
    # running app is never cut off from its media.
    printf '%s\n%s\n' "$others" "$line" > /etc/fstab
fi
# A mount whose client lost the volume ("Transport endpoint is not connected") is dropped and made
# again; until then nothing under it can even be stat'ed.
if findmnt -n "$MOUNT_POINT" >/dev/null && ! stat -t "$MOUNT_POINT" >/dev/null 2>&1; then
    echo "remounting $MOUNT_POINT: its client lost the volume" >&2
    umount -l "$MOUNT_POINT"
fi
install -d -m 0755 "$MOUNT_POINT"
for _ in $(seq 1 30); do
    mountpoint -q "$MOUNT_POINT" && break
    mount "$MOUNT_POINT" >&2 || sleep 2
done
if ! mountpoint -q "$MOUNT_POINT"; then
    echo "could not mount $SERVER:/$VOLUME on $MOUNT_POINT" >&2
    exit 1
fi
for dir in $SUBDIRS; do
    install -d -m 0750 -o "$APP_UID" -g "$APP_UID" "$MOUNT_POINT/$dir"
done
