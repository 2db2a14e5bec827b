#!/usr/bin/env bash
# Data kept on destroy (RETAIN=1) is set aside; scratch state is removed.
# Reads: KEEP (paths, one per line), SCRATCH (paths), RETAIN.
set -euo pipefail
while read -r path; do
    if [ -n "$path" ]; then retire "$path" "${RETAIN:-1}"; fi
done <<< "${KEEP:-}"
while read -r path; do
    if [ -n "$path" ]; then rm -rf "$path"; fi
done <<< "${SCRATCH:-}"
