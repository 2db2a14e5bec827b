#!/usr/bin/env bash
# Directories this node's swarm services keep data in (swarm refuses a missing bind-mount source).
# Reads: DIRS (one "path mode [uid:gid]" per line).
set -euo pipefail
: "${DIRS:?}"
while read -r path mode owner; do
    [ -n "$path" ] || continue
    own_dir "$path" "$mode"
    [ -z "$owner" ] || chown "$owner" "$path"
done <<< "$DIRS"
