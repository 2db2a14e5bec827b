#!/usr/bin/env bash
# Debian's Chromium and the NSS tools (the cluster CA goes into its certificate store), for the
# e2e test where a person signs in with a browser; installed when missing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v certutil >/dev/null || need+=(libnss3-tools)
bash "$(dirname "$0")/install-missing.sh" "the browser test's tools" "${need[@]}"
