#!/usr/bin/env bash
# A major upgrade of Paperless-ngx (2.x to 3.x) migrates the database in ways the old release cannot
# run on: before the migration, this node's instance stops when it runs an earlier major than
# APP_VERSION_WANT; its drain agent first takes it out of every HAProxy. Any other change of the
# image leaves it running for the rolling update. Safe to re-run: a stopped instance stays stopped
# until its replacement starts. Reads: APP_CONTAINER, IMAGE (app.image, pulled here: the release
# its version label names, else APP_VERSION_WANT, the one its tag names), STATE_FILE (the drain
# agent's), TIMEOUT (seconds for a clean stop).
set -euo pipefail
: "${APP_CONTAINER:?}" "${IMAGE:?}" "${STATE_FILE:?}" "${TIMEOUT:?}"
want=$(image_release "$IMAGE")
want=${want:-${APP_VERSION_WANT:-}}
[ -n "$want" ] || { echo "$IMAGE names no release: no major upgrade to prepare" >&2; exit 0; }
if [ "$(docker inspect -f '{{.State.Running}}' "$APP_CONTAINER" 2>/dev/null)" != true ]; then
    echo "no app instance runs on this node" >&2
    exit 0
fi
have=$(image_release "$(docker inspect -f '{{.Image}}' "$APP_CONTAINER")")
if ! older_major "$have" "$want"; then
    echo "Paperless-ngx ${have:-of an unknown release} runs here; $want is no major upgrade from it" >&2
    exit 0
fi
install -d -m 0755 "$(dirname "$STATE_FILE")"
put_file "$STATE_FILE" 0644 $'drain\n'
docker stop -t "$TIMEOUT" "$APP_CONTAINER" >/dev/null
echo "stopped Paperless-ngx $have for the major upgrade to $want" >&2
