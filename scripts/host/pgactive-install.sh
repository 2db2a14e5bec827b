#!/usr/bin/env bash
# Put the pgactive extension into this node's PostgreSQL, or stop with a clear message.
# Reads: NODE_NAME, PG_VERSION, METHOD (source|package|none), PACKAGE, VERSION, SOURCE_URL, SOURCE_SHA256.
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
        apt-get install "${apt_opts[@]}" build-essential "postgresql-server-dev-$PG_VERSION" \
            libkrb5-dev libssl-dev flex bison curl ca-certificates >&2
        src=/usr/local/src/pgactive-$VERSION
        tarball="$src.tar.gz"
        if [ ! -f "$tarball" ]; then
            curl -fsSL --retry 3 --connect-timeout 20 -m 600 -o "$tarball.part" "$SOURCE_URL" >&2 || {
                echo "pgactive is not installed on $NODE_NAME: could not download $SOURCE_URL" >&2
                exit 1
            }
            mv "$tarball.part" "$tarball"
        fi
        if [ -n "${SOURCE_SHA256:-}" ] && ! echo "$SOURCE_SHA256  $tarball" | sha256sum -c --quiet -; then
            rm -f "$tarball"
            echo "pgactive source on $NODE_NAME does not match database.pgactive.sourceSha256" >&2
            exit 1
        fi
        rm -rf "$src" && mkdir -p "$src"
        tar -xzf "$tarball" -C "$src" --strip-components=1
        (cd "$src" && PG_CONFIG="/usr/lib/postgresql/$PG_VERSION/bin/pg_config" ./configure >&2 && make -j"$(nproc)" >&2 && make install >&2)
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
