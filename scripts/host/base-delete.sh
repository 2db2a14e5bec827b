#!/usr/bin/env bash
# Drop the kernel tuning file; installed packages stay (other software may use them).
set -euo pipefail
rm -f /etc/sysctl.d/90-paperless-ha.conf
