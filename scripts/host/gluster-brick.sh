#!/usr/bin/env bash
# glusterd running and this node's brick directory present; prints glusterd's UUID (by which the
# pool knows this host). Reads: BRICK_DIR.
set -euo pipefail
: "${BRICK_DIR:?}"
systemctl enable --now glusterd >/dev/null 2>&1 || systemctl enable --now glusterfs-server >/dev/null 2>&1
own_dir "$BRICK_DIR" 0755
for _ in $(seq 1 30); do
    gluster --mode=script pool list >/dev/null 2>&1 && break
    sleep 1
done
if ! gluster --mode=script pool list >/dev/null 2>&1; then
    echo "glusterd does not answer; see 'journalctl -u glusterd'" >&2
    exit 1
fi
# A brick kept from a destroyed volume still carries that volume's identity and gluster refuses it
# for a new one. When no volume here uses it, set it aside untouched (nothing is deleted) and start
# an empty brick; restoring documents is a restore, not a side effect of `up`.
# (The volume list is captured, not piped to grep -q: a SIGPIPE under pipefail would read as
# "unused" and set aside a live brick.)
if getfattr -n trusted.glusterfs.volume-id "$BRICK_DIR" >/dev/null 2>&1 &&
    volumes=$(gluster --mode=script volume info 2>/dev/null) &&
    ! grep -q ":$BRICK_DIR\$" <<< "$volumes"; then
    echo "a brick left by a removed volume is set aside" >&2
    set_aside "$BRICK_DIR"
    own_dir "$BRICK_DIR" 0755
fi
gluster --mode=script system:: uuid get | sed -n 's/^UUID: //p'
