#!/usr/bin/env bash
# Remove the brick directory only when asked (RETAIN=0); documents stay on disk by default.
set -euo pipefail
: "${BRICK_DIR:?}" "${RETAIN:?}"
if [ "$RETAIN" = "0" ]; then
    rm -rf "$BRICK_DIR"
else
    echo "brick data kept in $BRICK_DIR" >&2
fi
