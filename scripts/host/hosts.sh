#!/usr/bin/env bash
# Keep a managed block of every cluster node in /etc/hosts. Reads: HOSTS_BLOCK.
set -euo pipefail
: "${HOSTS_BLOCK:?}"
begin="# BEGIN paperless-ha"
end="# END paperless-ha"
current=$(sed "/^$begin\$/,/^$end\$/d" /etc/hosts)
desired=$(printf '%s\n%s\n%s%s' "$current" "$begin" "$HOSTS_BLOCK" "$end")
if [ "$desired" != "$(cat /etc/hosts)" ]; then
    # Rewrite in place: /etc/hosts may be a bind mount that cannot be renamed over.
    printf '%s\n' "$desired" > /etc/hosts
fi
