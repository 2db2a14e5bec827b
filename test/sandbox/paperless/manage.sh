#!/usr/bin/env bash
# The published image's management commands (document_exporter, …): manage.py as the paperless user.
set -e
# shellcheck source=test/sandbox/paperless/env-from-files.sh
. /usr/local/lib/paperless/env-from-files.sh
env_from_files quiet
export HOME=/usr/src/paperless
cd "$PAPERLESS_SRC_DIR"
command=$(basename "$0")
if [ "$(id -u)" = "0" ]; then
    exec setpriv --reuid paperless --regid paperless --init-groups python3 manage.py "$command" "$@"
fi
exec python3 manage.py "$command" "$@"
