#!/usr/bin/env bash
# HAProxy, the node's routes to the Redis master (and on classic the database) and, with the edge,
# the balancer in front of every app instance: check the new config before it replaces the old one,
# then reload without dropping connections. With the edge on, also this node's drain agent (a
# socket-activated unit every HAProxy asks whether this node's app takes new requests).
# Reads: CONFIG, PEM_PATH, PEM, PUBLIC_PEM_PATH, PUBLIC_PEM and CRT_LIST_PATH, CRT_LIST (the
# certificate of your own and the list serving it; empty: none), AGENT_UNIT, AGENT_SOCKET and
# AGENT_SERVICE (the units' text; empty: no agent on this node).
set -euo pipefail
: "${CONFIG:?}" "${PEM_PATH:?}" "${PEM:?}" "${PUBLIC_PEM_PATH:?}" "${CRT_LIST_PATH:?}" "${AGENT_UNIT:?}"
put_file "$PEM_PATH" 0600 "$PEM"
# Before the config that names them is checked.
if [ -n "${PUBLIC_PEM:-}" ]; then
    put_file "$PUBLIC_PEM_PATH" 0600 "$PUBLIC_PEM"
    put_file "$CRT_LIST_PATH" 0644 "${CRT_LIST:?}"
fi
cfg=/etc/haproxy/haproxy.cfg
if file_differs "$cfg" "$CONFIG"; then
    tmp=$(mktemp /etc/haproxy/haproxy.cfg.XXXXXX)
    trap 'rm -f "$tmp"' EXIT
    printf '%s' "$CONFIG" > "$tmp"
    haproxy -c -q -f "$tmp" >&2
    # It holds the Redis check user's password.
    chgrp haproxy "$tmp"
    chmod 0640 "$tmp"
    mv "$tmp" "$cfg"
fi
socket=/etc/systemd/system/$AGENT_UNIT.socket
if [ -n "${AGENT_SOCKET:-}" ]; then
    FILE_CHANGED=0
    put_file "/etc/systemd/system/$AGENT_UNIT@.service" 0644 "${AGENT_SERVICE:?}"
    put_file "$socket" 0644 "$AGENT_SOCKET"
    if [ "$FILE_CHANGED" = 1 ]; then
        systemctl daemon-reload
        systemctl enable "$AGENT_UNIT.socket" >/dev/null 2>&1
        systemctl restart "$AGENT_UNIT.socket"
    fi
    systemctl start "$AGENT_UNIT.socket"
elif [ -e "$socket" ]; then
    systemctl disable --now "$AGENT_UNIT.socket" >/dev/null 2>&1 || true
    rm -f "$socket" "/etc/systemd/system/$AGENT_UNIT@.service"
    systemctl daemon-reload
fi
systemctl enable haproxy >/dev/null 2>&1
systemctl reload-or-restart haproxy
systemctl is-active -q haproxy
# Once the config that named them is gone.
[ -n "${PUBLIC_PEM:-}" ] || rm -f "$PUBLIC_PEM_PATH" "$CRT_LIST_PATH"
