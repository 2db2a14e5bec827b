#!/usr/bin/env bash
# paperless-ha-restore [--yes] BACKUP: put a backup made by paperless-ha-backup back. BACKUP is a
# directory under the backup directory, its name, or `latest`. Checksums are verified before
# anything is touched; then the database is replaced in one transaction (through the route to the
# primary, so every replica follows) and the media files are written back over the shared volume.
# Without --yes it only verifies.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/paperless-ha/backup.env
: "${BACKUP_DIR:?}" "${DB_HOST:?}" "${DB_PORT:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_SSLMODE:?}" "${MEDIA_DIR:?}" "${CA_CERT:?}"
export PGPASSFILE=/etc/paperless-ha/backup.pgpass PGSSLMODE=$DB_SSLMODE PGSSLROOTCERT=$CA_CERT PGTARGETSESSIONATTRS=read-write
yes=0
if [ "${1:-}" = "--yes" ]; then yes=1; shift; fi
want=${1:?usage: paperless-ha-restore [--yes] BACKUP|latest}
if [ "$want" = latest ]; then
    want=$(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' -printf '%f\n' | sort | tail -n 1)
    [ -n "$want" ] || { echo "no backup in $BACKUP_DIR" >&2; exit 1; }
fi
case "$want" in /*) dir=$want ;; *) dir=$BACKUP_DIR/$want ;; esac
[ -f "$dir/SHA256SUMS" ] || { echo "$dir is not a backup (no SHA256SUMS)" >&2; exit 1; }
(cd "$dir" && sha256sum --quiet -c SHA256SUMS) || { echo "$dir: checksums do not match; nothing restored" >&2; exit 1; }
echo "$dir: checksums verified"
[ "$yes" = 1 ] || { echo "run again with --yes to replace the database and media with it"; exit 0; }

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
file() { # file NAME: the plain file of NAME in the backup, decrypted into $tmp when needed
    if [ -f "$dir/$1.enc" ]; then
        openssl enc -d -aes-256-cbc -pbkdf2 -pass file:/etc/paperless-ha/backup.key -in "$dir/$1.enc" -out "$tmp/$1"
        echo "$tmp/$1"
    else
        echo "$dir/$1"
    fi
}
dump=$(file database.dump)
media=$(file media.tar)
pg_restore -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" --clean --if-exists --no-owner --single-transaction "$dump"
echo "database restored from $dir"
mountpoint -q "$(dirname "$MEDIA_DIR")" || { echo "the shared file system is not mounted at $(dirname "$MEDIA_DIR")" >&2; exit 1; }
install -d "$MEDIA_DIR"
tar -C "$MEDIA_DIR" -xpf "$media"
echo "media restored from $dir into $MEDIA_DIR"
# Writes a replica missed wait for the self-heal daemon's next crawl (up to 10 min): start one now
# and wait for it, bounded, so the volume is whole again when the restore says it is done.
if [ -n "${VOLUME:-}" ] && command -v gluster >/dev/null; then
    pending() {
        local out
        out=$(gluster volume heal "$VOLUME" info summary 2>/dev/null) || { echo unknown; return; }
        printf '%s\n' "$out" | awk -F: '/Total Number of entries:/ { s += $2 } END { print s + 0 }'
    }
    gluster volume heal "$VOLUME" >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do [ "$(pending)" = 0 ] && break; sleep 2; done
    left=$(pending)
    if [ "$left" = 0 ]; then
        echo "volume $VOLUME: every replica holds the restored files"
    else
        echo "volume $VOLUME: entries still waiting to heal after 120 s: $left; the self-heal daemon finishes them (npm run status shows them)"
    fi
fi
