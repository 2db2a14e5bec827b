#!/usr/bin/env bash
# The brick outlives the volume: set aside with its files (RETAIN=1, the default), or removed
# (RETAIN=0). A later `up` starts an empty brick; the kept files wait for a restore.
set -euo pipefail
: "${BRICK_DIR:?}" "${RETAIN:?}"
if [ ! -d "$BRICK_DIR" ]; then exit 0; fi
if [ "$RETAIN" = "0" ]; then
    rm -rf "$BRICK_DIR"
else
    kept="$BRICK_DIR.retained-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$BRICK_DIR" "$kept"
    echo "brick files kept in $kept" >&2
fi
