#!/usr/bin/env bash
# Mount the SeaweedFS filers at MOUNT_POINT with FUSE, from a privileged container a systemd unit
# keeps running (swarm services cannot be privileged). With MAKE_DIRS, also create the shared
# directories (only one node does, so the filers never race to create one name twice).
# Reads: IMAGE, MOUNT_POINT, FILERS, FILER_PATH, MAKE_DIRS (space separated, may be empty), OWNER.
set -euo pipefail
: "${IMAGE:?}" "${MOUNT_POINT:?}" "${FILERS:?}" "${FILER_PATH:?}" "${OWNER:?}"
require_plain IMAGE MOUNT_POINT FILERS FILER_PATH
name=paperless-ha-weed-mount
unit="/etc/systemd/system/$name.service"
want="[Unit]
Description=SeaweedFS FUSE mount of $FILER_PATH at $MOUNT_POINT (paperless-ha)
After=docker.service
Requires=docker.service

[Service]
ExecStartPre=-/usr/bin/docker rm -f $name
ExecStartPre=/bin/mkdir -p $MOUNT_POINT
ExecStartPre=/bin/sh -c 'mountpoint -q $MOUNT_POINT || mount --bind $MOUNT_POINT $MOUNT_POINT; mount --make-shared $MOUNT_POINT'
ExecStart=/usr/bin/docker run --rm --name $name --privileged --network host -v $MOUNT_POINT:$MOUNT_POINT:rshared $IMAGE mount -filer=$FILERS -filer.path=$FILER_PATH -dir=$MOUNT_POINT -dirAutoCreate -allowOthers
ExecStop=/usr/bin/docker stop $name
ExecStopPost=-/bin/umount -l $MOUNT_POINT
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"
put_file "$unit" 0644 "$want"
[ "$FILE_CHANGED" = 0 ] || systemctl daemon-reload
systemctl enable "$name" >/dev/null 2>&1
if [ "$FILE_CHANGED" = "1" ] || ! systemctl is-active -q "$name"; then
    systemctl restart "$name"
fi
is_fuse() { [[ $(stat -f -c %T "$MOUNT_POINT" 2>/dev/null) == *fuse* ]]; }
for _ in $(seq 1 90); do
    is_fuse && break
    sleep 2
done
is_fuse || { echo "SeaweedFS is not mounted at $MOUNT_POINT; see 'journalctl -u $name'" >&2; exit 1; }
for d in ${MAKE_DIRS:-}; do
    install -d -m 0750 "$MOUNT_POINT/$d"
    chown "$OWNER" "$MOUNT_POINT/$d"
done
echo "SeaweedFS mounted at $MOUNT_POINT" >&2
