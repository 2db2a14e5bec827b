# shellcheck shell=bash
# env_from_files log|quiet: PAPERLESS_X_FILE names a file (a Docker secret, a mounted file) holding
# PAPERLESS_X. Run by the start-up and by every management command, as the published image's
# with-contenv gives `docker exec … document_index` the settings its start-up read.
env_from_files() {
    local name file
    while IFS= read -r name; do
        case "$name" in PAPERLESS_OCR_SKIP_ARCHIVE_FILE | PAPERLESS_MODEL_FILE) continue ;; esac
        file=${!name}
        [ -f "$file" ] || { echo "$name names $file, which does not exist" >&2; exit 1; }
        export "${name%_FILE}=$(cat "$file")"
        unset "$name"
        if [ "$1" = log ]; then echo "[init] ${name%_FILE} set from $name"; fi
    done < <(compgen -e | grep -E '^PAPERLESS_.+_FILE$' || true)
}
