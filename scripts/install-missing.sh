#!/usr/bin/env bash
# install-missing.sh WHAT PACKAGE...: install the given Debian packages (as root), or, without
# root, say which are missing and stop. Nothing to do without packages.
set -euo pipefail
what=$1
shift
[ "$#" -gt 0 ] || exit 0
if [ "$(id -u)" != "0" ]; then
    echo "missing $what: $* (run as root, or install them: apt-get install $*)" >&2
    exit 1
fi
echo "installing $what: $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get -q -o DPkg::Lock::Timeout=300 update >&2
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "$@" >&2
