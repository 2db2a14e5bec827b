#!/usr/bin/env bash
# The published image's management commands (document_exporter, …): manage.py as the paperless user.
set -e
cd "$PAPERLESS_SRC_DIR"
command=$(basename "$0")
if [ "$(id -u)" = "0" ]; then
    exec setpriv --reuid paperless --regid paperless --init-groups python3 manage.py "$command" "$@"
fi
exec python3 manage.py "$command" "$@"
