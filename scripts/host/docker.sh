#!/usr/bin/env bash
# Docker engine with a TLS-verified TCP API for the Pulumi Docker provider.
# Reads: DAEMON_JSON, API_PORT.
set -euo pipefail
: "${DAEMON_JSON:?}" "${API_PORT:?}"
copy_node_tls /etc/docker/tls root
put_file /etc/docker/daemon.json 0644 "$DAEMON_JSON"
# Keep the packaged socket activation (-H fd://) and add the TLS port beside it.
put_file /etc/systemd/system/docker.service.d/paperless-ha.conf 0644 \
    $'[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:'"$API_PORT"$'\n'
[ "$FILE_CHANGED" = 0 ] || systemctl daemon-reload
systemctl enable docker >/dev/null 2>&1
if [ "$TLS_CHANGED$FILE_CHANGED" != "00" ] || ! systemctl is-active -q docker; then
    systemctl restart docker
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "docker did not come up; see 'journalctl -u docker'" >&2
exit 1
