#!/usr/bin/env bash
# Stop the load balancer and remove its certificate.
set -euo pipefail
: "${PEM_PATH:?}"
systemctl disable --now haproxy >/dev/null 2>&1 || true
rm -f "$PEM_PATH"
