#!/usr/bin/env bash
# Stop and delete the volume definition and detach the peers; brick directories keep the files.
# Reads: VOLUME; PEERS (the other nodes' addresses, space-separated: the peers to detach).
set -euo pipefail
: "${VOLUME:?}"
PEERS=${PEERS:-}
g() { gluster_cli "$@"; }
if g volume info "$VOLUME" >/dev/null 2>&1; then
    g volume stop "$VOLUME" force >&2 || true
    g volume delete "$VOLUME" >&2
fi
for peer in $PEERS; do
    g peer detach "$peer" force >&2 || true
done
