#!/usr/bin/env bash
# The brick outlives the volume: set aside with its files (RETAIN=1, the default), or removed
# (RETAIN=0). A later `up` starts an empty brick; the kept files wait for a restore.
# Reads: BRICK_DIR, RETAIN.
set -euo pipefail
: "${BRICK_DIR:?}" "${RETAIN:?}"
retire_owned "$BRICK_DIR" "$RETAIN"
