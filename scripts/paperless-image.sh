#!/usr/bin/env bash
# Builds the Paperless-ngx image the test hosts run, from an upstream source release, where the
# published image cannot be pulled (no container registry). Every slow step is cached outside the
# checkout, keyed by the source's checksum, and a re-run after an interruption picks up there.
#   paperless-image.sh [TAG]      default tag: paperless-ha/paperless:$PAPERLESS_VERSION
# Environment:
#   PAPERLESS_VERSION         upstream release (default 2.20.15)
#   PAPERLESS_SOURCE          path of its source tarball (default ../shared/vendor/paperless-ngx-$V.tar.gz;
#                             when absent, the release archive is downloaded)
#   PAPERLESS_SOURCE_SHA256   its sha256 (known for 2.20.15; required for any other version)
#   PAPERLESS_HA_CACHE        cache directory (default /var/cache/paperless-ha)
# Python packages (with the PostgreSQL and web server extras) come from PyPI as the release's
# uv.lock pins them, the UI is built with the pnpm its package.json names, and the OCR tools are
# Debian 13's (its Ghostscript is one OCRmyPDF accepts). It needs python3 (3.11 or newer) and Node.js
# on this machine.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
version=${PAPERLESS_VERSION:-2.20.15}
tag=${1:-paperless-ha/paperless:$version}
cache=${PAPERLESS_HA_CACHE:-/var/cache/paperless-ha}
uv_version=0.13.9
log() { echo "[paperless-image] $*" >&2; }
fail() { log "$*"; exit 1; }

known_sha256() {
    case "$1" in
    2.20.15) echo 164ea37fad5e9f5f7933ae03f648a721e4cf48ad84b7ac3c9e44189b1c78bbf7 ;;
    *) echo "" ;;
    esac
}
sha=${PAPERLESS_SOURCE_SHA256:-$(known_sha256 "$version")}
[ -n "$sha" ] || fail "no known checksum for Paperless-ngx $version: set PAPERLESS_SOURCE_SHA256"
[[ "$sha" =~ ^[0-9a-f]{64}$ ]] || fail "PAPERLESS_SOURCE_SHA256 is not a sha256 in hex: '$sha'"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "PAPERLESS_VERSION is not a release number like 2.20.15: '$version'"

work="$cache/paperless-$version-${sha:0:12}"
mkdir -p "$work"
exec 9>"$work/.lock"
flock -w 3600 9 || fail "another build holds $work/.lock"

fetch_source() {
    [ -f "$work/src/.done" ] && return
    local tarball=${PAPERLESS_SOURCE:-$root/../shared/vendor/paperless-ngx-$version.tar.gz}
    if [ ! -f "$tarball" ]; then
        tarball="$work/source.tar.gz"
        log "downloading the Paperless-ngx $version source release"
        curl -fsSL --max-time 600 -o "$tarball.part" \
            "https://github.com/paperless-ngx/paperless-ngx/archive/refs/tags/v$version.tar.gz"
        mv "$tarball.part" "$tarball"
    fi
    echo "$sha  $tarball" | sha256sum -c --quiet - || fail "$tarball does not have the sha256 $sha"
    rm -rf "$work/src"
    mkdir -p "$work/src"
    tar -C "$work/src" --strip-components=1 -xzf "$tarball"
    touch "$work/src/.done"
}

# The Python packages, as wheels for the image's Python (Debian 13's 3.13): uv exports the lock,
# markers are decided for that interpreter, pip fetches the wheels PyPI has for it, and the few
# packages PyPI has only as source (pure Python) are built here.
build_wheels() {
    [ -f "$work/wheels-cp313/.done" ] && return
    /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null || bash scripts/install-missing.sh "Python's venv" python3-venv
    [ -x "$cache/tools/bin/uv" ] || {
        rm -rf "$cache/tools"
        /usr/bin/python3 -m venv "$cache/tools"
        "$cache/tools/bin/pip" install -q "uv==$uv_version" packaging wheel >&2
    }
    log "exporting the locked Python dependencies"
    (cd "$work/src" && "$cache/tools/bin/uv" export --frozen --no-dev --extra postgres --extra webserver --no-hashes \
        --no-emit-project --format requirements-txt -o "$work/requirements.all.txt" >/dev/null)
    "$cache/tools/bin/python" - "$work/src/uv.lock" "$work/requirements.all.txt" "$work/requirements.txt" "$work/requirements.sdist.txt" <<'PY'
import sys, tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
lock, src, out_all, out_sdist = sys.argv[1:]
# The image's interpreter: Debian 13's CPython 3.13 on x86_64 Linux.
env = {"python_version": "3.13", "python_full_version": "3.13.5", "sys_platform": "linux",
       "platform_machine": "x86_64", "platform_system": "Linux", "os_name": "posix",
       "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""}
wheels = {}
for p in tomllib.load(open(lock, "rb"))["package"]:
    wheels.setdefault(canonicalize_name(p["name"]), set()).update(w["url"].rsplit("/", 1)[-1] for w in p.get("wheels", []))
reqs, sdists = [], []
for line in open(src):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    req = Requirement(line)
    if req.marker is not None and not req.marker.evaluate(env):
        continue
    if req.url:
        sys.exit(f"{req.name} comes from a URL ({req.url}), not from PyPI")
    name = canonicalize_name(req.name)
    # psycopg's C implementation has no wheel on PyPI; psycopg-binary is the same code, prebuilt.
    if name == "psycopg-c":
        name = "psycopg-binary"
    pin = f"{name}{req.specifier}"
    reqs.append(pin)
    if name in wheels and not wheels[name]:
        sdists.append(pin)
open(out_all, "w").write("\n".join(sorted(reqs)) + "\n")
open(out_sdist, "w").write("\n".join(sorted(sdists)) + ("\n" if sdists else ""))
PY
    log "fetching $(wc -l < "$work/requirements.txt") Python packages ($(wc -l < "$work/requirements.sdist.txt") from source)"
    rm -rf "$work/wheels-cp313" "$work/sdist-wheels"
    local platforms=() v
    for v in $(seq 5 41); do platforms+=(--platform "manylinux_2_${v}_x86_64"); done
    platforms+=(--platform manylinux1_x86_64 --platform manylinux2010_x86_64 --platform manylinux2014_x86_64)
    grep -vxF -f "$work/requirements.sdist.txt" "$work/requirements.txt" > "$work/requirements.binary.txt" || true
    "$cache/tools/bin/pip" download -q --no-deps --only-binary=:all: --implementation cp --python-version 3.13 \
        --abi cp313 --abi abi3 --abi none "${platforms[@]}" -d "$work/wheels-cp313" -r "$work/requirements.binary.txt" >&2
    if [ -s "$work/requirements.sdist.txt" ]; then
        "$cache/tools/bin/pip" wheel -q --no-deps --no-binary=:all: -w "$work/sdist-wheels" -r "$work/requirements.sdist.txt" >&2
        local w
        for w in "$work"/sdist-wheels/*.whl; do
            [[ "$w" == *-py3-none-any.whl || "$w" == *-py2.py3-none-any.whl ]] || fail "$(basename "$w") is not pure Python: it cannot be built here for the image's Python"
            mv "$w" "$work/wheels-cp313/"
        done
    fi
    touch "$work/wheels-cp313/.done"
}

# The Angular UI, built with the pnpm its package.json asks for; the result lands where Django
# collects it from.
build_ui() {
    [ -f "$work/src/src/documents/static/frontend/.done" ] && return
    local pnpm
    pnpm=$(node -e 'const p = require(process.argv[1]).packageManager || ""; if (!/^pnpm@[0-9.]+$/.test(p)) process.exit(1); console.log(p)' "$work/src/src-ui/package.json") ||
        fail "src-ui/package.json names no pnpm version"
    log "building the UI with $pnpm (several minutes on 2 cores)"
    (
        cd "$work/src/src-ui"
        export npm_config_cache="$cache/npm" CI=true NG_CLI_ANALYTICS=false
        npx -y "$pnpm" install --frozen-lockfile --store-dir "$cache/pnpm-store" >&2
        NODE_OPTIONS=--max-old-space-size=4096 ./node_modules/.bin/ng build --configuration production >&2
    )
    [ -f "$work/src/src/documents/static/frontend/en-US/index.html" ] || fail "the UI build left no frontend/en-US/index.html"
    touch "$work/src/src/documents/static/frontend/.done"
}

build_image() {
    local ctx="$work/context" hash
    docker image inspect paperless-ha/debian:trixie >/dev/null 2>&1 ||
        fail "the base image paperless-ha/debian:trixie is missing: run 'npm run sandbox -- images'"
    rm -rf "$ctx"
    mkdir -p "$ctx"
    cp -a test/sandbox/paperless/. "$ctx/"
    ln "$work/requirements.txt" "$ctx/requirements.txt"
    cp -al "$work/wheels-cp313" "$ctx/wheels"
    mkdir -p "$ctx/app"
    cp -al "$work/src/src" "$ctx/app/src"
    cp -al "$work/src/docker/rootfs/etc/ImageMagick-6/paperless-policy.xml" "$ctx/imagemagick-policy.xml"
    rm -f "$ctx/app/src/documents/static/frontend/.done"
    hash=$( { echo "$sha"; find test/sandbox/paperless -type f -print0 | sort -z | xargs -0 sha256sum;
        docker image inspect -f '{{ .Id }}' paperless-ha/debian:trixie; } | sha256sum | cut -c1-12)
    if [ "$(docker image inspect -f '{{ index .Config.Labels "paperless-ha.hash" }}' "$tag" 2>/dev/null)" = "$hash" ]; then
        rm -rf "$ctx"
        return
    fi
    log "building $tag"
    docker build -q --label "paperless-ha.hash=$hash" --label "org.opencontainers.image.version=$version" -t "$tag" "$ctx" >"$work/build.log" 2>&1 ||
        { tail -n 40 "$work/build.log" >&2; fail "docker build of $tag failed; its log: $work/build.log"; }
    rm -rf "$ctx"
}

started=$(date +%s)
fetch_source
build_wheels
build_ui
build_image
log "$tag ready ($(( $(date +%s) - started )) s)"
