#!/usr/bin/env bash
# Remove the managed block from /etc/hosts.
set -euo pipefail
if grep -q '^# BEGIN paperless-ha$' /etc/hosts; then
    kept=$(sed '/^# BEGIN paperless-ha$/,/^# END paperless-ha$/d' /etc/hosts)
    printf '%s\n' "$kept" > /etc/hosts
fi
