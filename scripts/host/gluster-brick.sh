#!/usr/bin/env bash
# glusterd running and this node's brick directory present. Reads: BRICK_DIR.
set -euo pipefail
: "${BRICK_DIR:?}"
systemctl enable --now glusterd >/dev/null 2>&1 || systemctl enable --now glusterfs-server >/dev/null 2>&1
install -d -m 0755 "$BRICK_DIR"
for _ in $(seq 1 30); do
    gluster --mode=script pool list >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "glusterd does not answer; see 'journalctl -u glusterd'" >&2
exit 1
