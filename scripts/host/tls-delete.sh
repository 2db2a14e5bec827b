#!/usr/bin/env bash
# Remove the cluster certificates and key from this host.
set -euo pipefail
rm -rf /etc/paperless-ha/tls /etc/paperless-ha/ca
rmdir /etc/paperless-ha 2>/dev/null || true
