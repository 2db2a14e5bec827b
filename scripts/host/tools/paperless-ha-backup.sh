#!/usr/bin/env bash
# paperless-ha-backup: one consistent backup of the Paperless database and media on this node,
# installed by paperless-ha and run by paperless-ha-backup.timer (or by hand).
#   <directory>/<UTC time>/database.dump   pg_dump -Fc through the node's route to the primary
#   <directory>/<UTC time>/media.tar       the shared media directory
#   <directory>/<UTC time>/SHA256SUMS      checksums of both (of the .enc files when encrypted)
# A backup appears under its final name only once complete; older ones beyond KEEP go after it.
set -euo pipefail
# shellcheck source=/dev/null
. /etc/paperless-ha/backup.env
: "${BACKUP_DIR:?}" "${KEEP:?}" "${DB_HOST:?}" "${DB_PORT:?}" "${DB_NAME:?}" "${DB_USER:?}" "${DB_SSLMODE:?}" "${MEDIA_DIR:?}" "${CA_CERT:?}"
export PGPASSFILE=/etc/paperless-ha/backup.pgpass PGSSLMODE=$DB_SSLMODE PGSSLROOTCERT=$CA_CERT PGTARGETSESSIONATTRS=read-write
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work="$BACKUP_DIR/.partial-$stamp"
install -d -m 0700 "$BACKUP_DIR"
rm -rf "$BACKUP_DIR"/.partial-*
mkdir "$work"
trap 'rm -rf "$work"' EXIT

mountpoint -q "$(dirname "$MEDIA_DIR")" || { echo "the shared file system is not mounted at $(dirname "$MEDIA_DIR")" >&2; exit 1; }
pg_dump -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" --format=custom --file="$work/database.dump"
tar -C "$MEDIA_DIR" -cf "$work/media.tar" .
if [ "${ENCRYPT:-0}" = "1" ]; then
    for f in database.dump media.tar; do
        openssl enc -aes-256-cbc -pbkdf2 -salt -pass file:/etc/paperless-ha/backup.key -in "$work/$f" -out "$work/$f.enc"
        rm "$work/$f"
    done
fi
(cd "$work" && sha256sum -- * > SHA256SUMS)
mv "$work" "$BACKUP_DIR/$stamp"
trap - EXIT
echo "backup $BACKUP_DIR/$stamp: $(du -sh "$BACKUP_DIR/$stamp" | cut -f1)"

# Retention: the newest KEEP complete backups stay.
mapfile -t old < <(find "$BACKUP_DIR" -mindepth 1 -maxdepth 1 -type d -name '2*' -printf '%f\n' | sort -r | tail -n "+$((KEEP + 1))")
for b in "${old[@]}"; do rm -rf "${BACKUP_DIR:?}/$b"; echo "removed old backup $b"; done

if [ -n "${REMOTE:-}" ]; then
    rsync -a -e "ssh -o BatchMode=yes" "$BACKUP_DIR/$stamp" "$REMOTE/"
    echo "copied to $REMOTE/$stamp"
fi

# For node_exporter's textfile collector, when one is installed.
if [ -n "${TEXTFILE_DIR:-}" ] && [ -d "$TEXTFILE_DIR" ]; then
    printf 'paperless_ha_backup_last_success_timestamp_seconds %s\n' "$(date +%s)" > "$TEXTFILE_DIR/paperless_ha_backup.prom.tmp"
    # node_exporter reads it as its own user; the umask above made it root-only.
    chmod 0644 "$TEXTFILE_DIR/paperless_ha_backup.prom.tmp"
    mv "$TEXTFILE_DIR/paperless_ha_backup.prom.tmp" "$TEXTFILE_DIR/paperless_ha_backup.prom"
fi
