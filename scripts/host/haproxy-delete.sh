#!/usr/bin/env bash
# Stop the load balancer and the drain agent, and remove their certificate, units and state, and
# the config (it holds the Redis check user's password).
# Reads: PEM_PATH, PUBLIC_PEM_PATH, CRT_LIST_PATH, AGENT_UNIT, AGENT_STATE.
set -euo pipefail
: "${PEM_PATH:?}" "${PUBLIC_PEM_PATH:?}" "${CRT_LIST_PATH:?}" "${AGENT_UNIT:?}" "${AGENT_STATE:?}"
systemctl disable --now haproxy >/dev/null 2>&1 || true
systemctl disable --now "$AGENT_UNIT.socket" >/dev/null 2>&1 || true
rm -f /etc/haproxy/haproxy.cfg "$PEM_PATH" "$PUBLIC_PEM_PATH" "$CRT_LIST_PATH" "/etc/systemd/system/$AGENT_UNIT.socket" "/etc/systemd/system/$AGENT_UNIT@.service" "$AGENT_STATE"
systemctl daemon-reload
