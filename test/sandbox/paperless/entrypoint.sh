#!/usr/bin/env bash
# The published image's start-up, in order: secrets from PAPERLESS_*_FILE, USERMAP_UID/GID,
# folders, OCR languages, wait for the database and Redis, migrations, the superuser, the search
# index, Django's checks; then the four services under s6 (Debian's, not s6-overlay).
# With arguments, the same start-up runs and then the command in place of the services.
set -euo pipefail
log() { echo "[init] $*"; }
# The paperless user's home, for every process started from here as that user: libpq, for one,
# looks for client certificates under $HOME and fails on one it may not read (root's).
export HOME=/usr/src/paperless
as_paperless() { setpriv --reuid paperless --regid paperless --init-groups "$@"; }
cd "$PAPERLESS_SRC_DIR"

# shellcheck source=test/sandbox/paperless/env-from-files.sh
. /usr/local/lib/paperless/env-from-files.sh
env_from_files log

uid=${USERMAP_UID:-1000}
gid=${USERMAP_GID:-$uid}
[ "$(id -u paperless)" = "$uid" ] || usermod --non-unique --uid "$uid" paperless
[ "$(id -g paperless)" = "$gid" ] || groupmod --non-unique --gid "$gid" paperless

data=${PAPERLESS_DATA_DIR:-/usr/src/paperless/data}
media=${PAPERLESS_MEDIA_ROOT:-/usr/src/paperless/media}
consume=${PAPERLESS_CONSUMPTION_DIR:-/usr/src/paperless/consume}
export PAPERLESS_SCRATCH_DIR=${PAPERLESS_SCRATCH_DIR:-/tmp/paperless}
for dir in /usr/src/paperless/export "$data" "$media" "$consume" "$PAPERLESS_SCRATCH_DIR" \
    "$data/index" "$media/documents/originals" "$media/documents/thumbnails"; do
    [ -d "$dir" ] || mkdir -p "$dir"
done
# Only what is not the user's already: a large shared media tree is not walked twice.
for dir in /usr/src/paperless/export "$data" "$media" "$consume" "$PAPERLESS_SCRATCH_DIR"; do
    find "$dir" -xdev -not \( -user paperless -and -group paperless \) -exec chown paperless:paperless {} +
done

# Languages named in PAPERLESS_OCR_LANGUAGES are installed from Debian when missing.
if [ -n "${PAPERLESS_OCR_LANGUAGES:-}" ]; then
    missing=()
    for lang in $PAPERLESS_OCR_LANGUAGES; do
        [[ "$lang" =~ ^[a-z][a-z_-]*$ ]] || { log "PAPERLESS_OCR_LANGUAGES: '$lang' is not a tesseract language name"; exit 1; }
        dpkg -s "tesseract-ocr-${lang//_/-}" >/dev/null 2>&1 || missing+=("tesseract-ocr-${lang//_/-}")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        timeout 300 apt-get -q update >/dev/null || { log "apt-get update failed: cannot install ${missing[*]}"; exit 1; }
        for pkg in "${missing[@]}"; do
            apt-cache show "$pkg" >/dev/null 2>&1 || { log "OCR language package $pkg does not exist in Debian"; exit 1; }
        done
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
            { log "installing ${missing[*]} failed"; exit 1; }
    fi
fi

if [ -n "${PAPERLESS_DBHOST:-}" ]; then
    log "waiting for PostgreSQL at ${PAPERLESS_DBHOST}:${PAPERLESS_DBPORT:-5432} (60 s at most)"
    for _ in $(seq 1 60); do
        pg_isready -q -t 2 -h "$PAPERLESS_DBHOST" -p "${PAPERLESS_DBPORT:-5432}" && break
        sleep 1
    done
    pg_isready -q -t 2 -h "$PAPERLESS_DBHOST" -p "${PAPERLESS_DBPORT:-5432}" ||
        { log "PostgreSQL at ${PAPERLESS_DBHOST}:${PAPERLESS_DBPORT:-5432} did not answer in 60 s"; exit 1; }
fi
log "waiting for Redis (60 s at most)"
python3 - <<'PY' || { log "Redis did not answer in 60 s"; exit 1; }
import os, sys, time
from redis import Redis
url = os.environ.get("PAPERLESS_REDIS", "redis://localhost:6379")
deadline = time.monotonic() + 60
while True:
    try:
        with Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3) as r:
            r.ping()
        break
    except Exception as e:
        if time.monotonic() > deadline:
            sys.exit(f"redis: {e}")
        time.sleep(1)
PY

log "applying database migrations"
as_paperless s6-setlock "$data/migration_lock" python3 manage.py migrate --skip-checks --no-input
if [ -n "${PAPERLESS_ADMIN_USER:-}" ]; then
    log "creating the superuser"
    as_paperless python3 manage.py manage_superuser
fi
# The search index is rebuilt when this data dir has never held one of this version.
index_version=9
if [ "$(cat "$data/.index_version" 2>/dev/null)" != "$index_version" ]; then
    log "building the search index"
    as_paperless python3 manage.py document_index reindex --no-progress-bar
    echo "$index_version" | as_paperless tee "$data/.index_version" >/dev/null
fi
as_paperless python3 manage.py check

if [ "$#" -gt 0 ]; then exec "$@"; fi
rm -rf /run/paperless/services
mkdir -p /run/paperless
cp -a /etc/paperless/services /run/paperless/services
log "starting the web server, worker, scheduler and consumer"
exec s6-svscan /run/paperless/services
