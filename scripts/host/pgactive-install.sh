#!/usr/bin/env bash
# Put the pgactive extension into this node's PostgreSQL, or stop with a clear message.
# `source` builds a release tarball, downloaded once into /usr/local/src (one already there is
# used as it is) and checked against SOURCE_SHA256 before anything is unpacked; without a checksum
# it builds only when UNVERIFIED=1 says so.
# Reads: NODE_NAME, PG_VERSION, METHOD (source|package|none), PACKAGE, VERSION, SOURCE_URL,
# SOURCE_SHA256, UNVERIFIED.
set -euo pipefail
: "${NODE_NAME:?}" "${PG_VERSION:?}" "${METHOD:?}"
control="/usr/share/postgresql/$PG_VERSION/extension/pgactive.control"
library="/usr/lib/postgresql/$PG_VERSION/lib/pgactive.so"
installed() { [ -f "$control" ] && [ -f "$library" ]; }
export DEBIAN_FRONTEND=noninteractive
apt_opts=(-y -q -o DPkg::Lock::Timeout=600 --no-install-recommends)

if ! installed; then
    [ "$METHOD" = none ] || dpkg_finish
    case "$METHOD" in
    none) ;;
    package)
        : "${PACKAGE:?}"
        if ! apt-get install "${apt_opts[@]}" "$PACKAGE" >&2; then
            echo "pgactive is not installed on $NODE_NAME: apt could not install '$PACKAGE' (configure the repository that provides it)" >&2
            exit 1
        fi
        ;;
    source)
        : "${VERSION:?}" "${SOURCE_URL:?}"
        SOURCE_SHA256=${SOURCE_SHA256:-}
        if [ -z "$SOURCE_SHA256" ] && [ "${UNVERIFIED:-0}" != "1" ]; then
            echo "pgactive is not installed on $NODE_NAME: no sha256 to check the $VERSION source against (set database.pgactive.sourceSha256)" >&2
            exit 1
        fi
        # What PostgreSQL's server headers link against, besides the compiler.
        if ! apt-get install "${apt_opts[@]}" build-essential "postgresql-server-dev-$PG_VERSION" \
            libkrb5-dev libssl-dev libselinux1-dev libzstd-dev liblz4-dev libpam0g-dev libxslt1-dev \
            libxml2-dev libreadline-dev zlib1g-dev flex bison curl ca-certificates >&2; then
            echo "pgactive is not installed on $NODE_NAME: apt could not install its build dependencies" >&2
            exit 1
        fi
        src=/usr/local/src/pgactive-$VERSION
        tarball="$src.tar.gz"
        if [ ! -f "$tarball" ]; then
            curl -fsSL --retry 3 --connect-timeout 20 -m 600 -o "$tarball.part" "$SOURCE_URL" >&2 || {
                echo "pgactive is not installed on $NODE_NAME: could not download $SOURCE_URL" >&2
                exit 1
            }
            mv "$tarball.part" "$tarball"
        fi
        if [ -n "$SOURCE_SHA256" ] && ! echo "$SOURCE_SHA256  $tarball" | sha256sum -c --quiet - >/dev/null 2>&1; then
            actual=$(sha256sum "$tarball" | cut -d' ' -f1)
            rm -f "$tarball"
            echo "pgactive is not installed on $NODE_NAME: its $VERSION source has sha256 $actual, not database.pgactive.sourceSha256 $SOURCE_SHA256 (the file is removed)" >&2
            exit 1
        fi
        rm -rf "$src" && mkdir -p "$src"
        tar -xzf "$tarball" -C "$src" --strip-components=1
        started=$SECONDS
        if ! (cd "$src" && PG_CONFIG="/usr/lib/postgresql/$PG_VERSION/bin/pg_config" ./configure >&2 && make -j"$(nproc)" >&2 && make install >&2); then
            echo "pgactive is not installed on $NODE_NAME: building $VERSION failed (see above)" >&2
            exit 1
        fi
        echo "pgactive $VERSION built and installed on $NODE_NAME in $((SECONDS - started)) s" >&2
        ;;
    *)
        echo "unknown pgactive install method '$METHOD'" >&2
        exit 1
        ;;
    esac
fi
if ! installed; then
    echo "pgactive is not installed on $NODE_NAME (no $control); install it, or set paperless-ha:database.pgactive.install to 'source' or 'package'" >&2
    exit 1
fi
echo "pgactive present on $NODE_NAME" >&2
