#!/usr/bin/env bash
# Base OS: the node's packages in one apt run, kernel tuning, time sync.
# Reads: NODE_NAME, PACKAGES (space separated), SYSCTL (sysctl.d file content), TIME_SYNC (1|0).
set -euo pipefail
: "${NODE_NAME:?}" "${PACKAGES:?}" "${SYSCTL:?}" "${TIME_SYNC:?}"
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)

missing=()
for pkg in $PACKAGES; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
    echo "[$NODE_NAME] installing: ${missing[*]}" >&2
    dpkg_finish
    apt-get -q -o DPkg::Lock::Timeout=600 update >&2
    apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}" >&2
fi

conf=/etc/sysctl.d/90-paperless-ha.conf
put_file "$conf" 0644 "$SYSCTL"
# Apply key by key: some keys are read-only inside containers or VMs; say so and go on.
while IFS= read -r line; do
    [ -n "$line" ] || continue
    key=${line%% =*}
    value=${line#*= }
    if ! sysctl -q -w "$key=$value" >/dev/null 2>&1; then
        echo "[$NODE_NAME] warning: could not set $key (read-only here); kept in $conf" >&2
    fi
done < "$conf"

if [ "$TIME_SYNC" = "1" ]; then
    systemctl enable --now chrony >&2
fi
echo "[$NODE_NAME] base ready" >&2
