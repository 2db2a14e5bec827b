#!/usr/bin/env bash
# Debian's Chromium and the NSS tools (the cluster CA goes into its certificate store), for the
# e2e test where a person signs in with a browser; installed when missing.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v certutil >/dev/null || need+=(libnss3-tools)
[ "${#need[@]}" -eq 0 ] && exit 0
if [ "$(id -u)" != "0" ]; then
    echo "missing for the browser test: ${need[*]} (run as root, or: apt-get install ${need[*]})" >&2
    exit 1
fi
echo "installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -q -o DPkg::Lock::Timeout=300 update >&2
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >&2
