#!/usr/bin/env bash
# Docker engine with a TLS-verified TCP API for the Pulumi Docker provider.
# Reads: DAEMON_JSON, API_PORT.
set -euo pipefail
: "${DAEMON_JSON:?}" "${API_PORT:?}"
copy_node_tls /etc/docker/tls root
changed=$TLS_CHANGED
if ! printf '%s' "$DAEMON_JSON" | cmp -s - /etc/docker/daemon.json; then
    printf '%s' "$DAEMON_JSON" > /etc/docker/daemon.json
    changed=1
fi
# Keep the packaged socket activation (-H fd://) and add the TLS port beside it.
dropin=/etc/systemd/system/docker.service.d/paperless-ha.conf
want=$'[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://0.0.0.0:'"$API_PORT"$'\n'
if ! printf '%s' "$want" | cmp -s - "$dropin"; then
    install -d /etc/systemd/system/docker.service.d
    printf '%s' "$want" > "$dropin"
    systemctl daemon-reload
    changed=1
fi
systemctl enable docker >/dev/null 2>&1
if [ "$changed" = "1" ] || ! systemctl is-active -q docker; then
    systemctl restart docker
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "docker did not come up; see 'journalctl -u docker'" >&2
exit 1
