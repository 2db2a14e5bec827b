#!/usr/bin/env bash
# HAProxy in front of every app instance: check the new config before it replaces the old one,
# then reload without dropping connections. Reads: CONFIG, PEM_PATH, PEM.
set -euo pipefail
: "${CONFIG:?}" "${PEM_PATH:?}" "${PEM:?}"
put_file "$PEM_PATH" 0600 "$PEM"
cfg=/etc/haproxy/haproxy.cfg
if ! printf '%s' "$CONFIG" | cmp -s - "$cfg"; then
    tmp=$(mktemp /etc/haproxy/haproxy.cfg.XXXXXX)
    trap 'rm -f "$tmp"' EXIT
    printf '%s' "$CONFIG" > "$tmp"
    haproxy -c -q -f "$tmp" >&2
    chmod 0644 "$tmp"
    mv "$tmp" "$cfg"
fi
systemctl enable haproxy >/dev/null 2>&1
systemctl reload-or-restart haproxy
systemctl is-active -q haproxy
