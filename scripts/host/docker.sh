#!/usr/bin/env bash
# Docker engine with a TLS-verified TCP API for the Pulumi Docker provider, on the management
# address only, trusting only the Docker API CA (which signs the operator's certificate alone).
# Reads: DAEMON_JSON, API_ADDRESS (the node's address: an IP or a name of this host), API_PORT, API_CA.
set -euo pipefail
: "${DAEMON_JSON:?}" "${API_ADDRESS:?}" "${API_PORT:?}" "${API_CA:?}"
local_addresses() { ip -o addr show | awk '{ sub("/.*", "", $4); print $4 }'; }
listen=$API_ADDRESS
if [[ ! $listen =~ ^[0-9.]+$ && $listen != *:* ]]; then
    # A name: the address of this host it resolves to.
    listen=$(getent ahosts "$API_ADDRESS" | awk '{ print $1 }' | grep -Fxf <(local_addresses) | head -n 1 || true)
    [ -n "$listen" ] || { echo "'$API_ADDRESS' resolves to no address of this host; the Docker API has nothing to listen on" >&2; exit 1; }
fi
[[ $listen != *:* ]] || listen="[$listen]"
copy_node_tls /etc/docker/tls root
put_file /etc/docker/tls/api-ca.crt 0644 "$API_CA"
put_file /etc/docker/daemon.json 0644 "$DAEMON_JSON"
# Keep the packaged socket activation (-H fd://) and add the TLS port beside it.
put_file /etc/systemd/system/docker.service.d/paperless-ha.conf 0644 \
    $'[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// -H tcp://'"$listen:$API_PORT"$'\n'
[ "$FILE_CHANGED" = 0 ] || systemctl daemon-reload
systemctl enable docker >/dev/null 2>&1
if [ "$TLS_CHANGED$FILE_CHANGED" != "00" ] || ! systemctl is-active -q docker; then
    systemctl restart docker
fi
for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && exit 0
    sleep 1
done
echo "docker did not come up within 60 s; see 'journalctl -u docker'" >&2
exit 1
