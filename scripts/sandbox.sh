#!/usr/bin/env bash
# Local test hosts: Debian containers with systemd and sshd on their own Docker network.
#   sandbox.sh up [--nodes N] [--swarm]  build (cached) images, start N hosts, write .sandbox/hosts.json
#   sandbox.sh replace NAME [--swarm]    lose host NAME for good; a fresh one takes its name at a new address
#   sandbox.sh down                      remove the hosts, their volumes and the network; nothing else
#   sandbox.sh images                    build (cached) images only
# --swarm also seeds the hosts with the images the swarm topology needs.
# Everything is built here from Debian packages: no registry is needed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir="$root/.sandbox"
net=paperless-ha-sandbox
subnet_prefix=${SANDBOX_SUBNET_PREFIX:-172.30.77}
label=paperless-ha.sandbox=1
base_image=paperless-ha/debian:bookworm
host_image=paperless-ha/host:1
log() { echo "[sandbox] $*" >&2; }

need_root() {
    [ "$(id -u)" = "0" ] || { log "must run as root (it installs packages and runs Docker)"; exit 1; }
}

ensure_packages() {
    local missing=()
    command -v dockerd >/dev/null || missing+=(docker.io)
    command -v debootstrap >/dev/null || missing+=(debootstrap)
    command -v ssh >/dev/null || missing+=(openssh-client)
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get -q -o DPkg::Lock::Timeout=300 update >&2
        apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2
    fi
}

# A dockerd ended with the session before leaves its pid file, and restores (cleans up) the
# containers it ran on its next start, which can take minutes; one that exits is tried once more.
ensure_dockerd() {
    if docker info >/dev/null 2>&1; then return; fi
    local try pid old
    mkdir -p "$dir"
    for try in 1 2; do
        old=$(cat /var/run/docker.pid 2>/dev/null || true)
        if [ -n "$old" ] && [ "$(cat "/proc/$old/comm" 2>/dev/null)" != "dockerd" ]; then rm -f /var/run/docker.pid; fi
        log "starting dockerd (try $try)"
        nohup dockerd >>"$dir/dockerd.log" 2>&1 &
        pid=$!
        for _ in $(seq 1 240); do
            docker info >/dev/null 2>&1 && return
            kill -0 "$pid" 2>/dev/null || break
            sleep 1
        done
        kill -0 "$pid" 2>/dev/null && break
    done
    log "dockerd did not start; the end of $dir/dockerd.log:"
    tail -n 30 "$dir/dockerd.log" >&2
    exit 1
}

# The Debian mirror this machine's apt already uses.
debian_mirror() {
    local uri
    uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    [ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 !~ /security/ { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    [ -n "$uri" ] || { log "no Debian mirror found in this machine's apt sources"; exit 1; }
    echo "$uri"
}

# build_base SUITE: a minimal Debian image, debootstrapped once and cached as paperless-ha/debian:SUITE.
build_base() {
    local suite=$1 image="paperless-ha/debian:$1" rootfs mirror
    docker image inspect "$image" >/dev/null 2>&1 && return
    mirror=$(debian_mirror)
    rootfs=$(mktemp -d /var/tmp/paperless-ha-rootfs.XXXXXX)
    log "debootstrap $suite from $mirror (once; cached as $image)"
    debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$dir/debootstrap-$suite.log" 2>&1 || {
        log "debootstrap failed; see $dir/debootstrap-$suite.log"; rm -rf "$rootfs"; exit 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb
    tar -C "$rootfs" -c . | docker import - "$image" >/dev/null
    rm -rf "$rootfs"
}

# build_image TAG DIR [PARENT]: build a Dockerfile under test/sandbox once; the tag carries a hash
# of its inputs (and of the image it builds FROM, when that is built here too).
build_image() {
    local name=$1 context=$2 parent=${3:-} hash
    hash=$(cd "$context" && { find . -type f -print0 | sort -z | xargs -0 sha256sum; [ -z "$parent" ] || docker image inspect -f '{{ .Id }}' "$parent"; } | sha256sum | cut -c1-12)
    if [ "$(docker image inspect -f '{{ index .Config.Labels "paperless-ha.hash" }}' "$name" 2>/dev/null)" != "$hash" ]; then
        log "building $name"
        docker build -q --label "paperless-ha.hash=$hash" -t "$name" "$context" >/dev/null
    fi
}

# Paperless-ngx: built here from its source release (scripts/paperless-image.sh), or, where a
# registry can be reached, the published image named by SANDBOX_PAPERLESS_IMAGE under the same tag.
PAPERLESS_IMAGE=paperless-ha/paperless:2.20.15
# The same build labelled 3.0.0, standing in for a 3.x release (test/sandbox/paperless-major-rehearsal).
MAJOR_REHEARSAL_IMAGE=paperless-ha/paperless-major-rehearsal:3.0.0
paperless_image() {
    if [ -n "${SANDBOX_PAPERLESS_IMAGE:-}" ]; then
        docker pull -q "$SANDBOX_PAPERLESS_IMAGE" >/dev/null
        docker tag "$SANDBOX_PAPERLESS_IMAGE" "$PAPERLESS_IMAGE"
    else
        bash scripts/paperless-image.sh "$PAPERLESS_IMAGE"
    fi
}

# Images the hosts' own Docker engines run; saved once and loaded into every host. The swarm
# topology also needs the base its Patroni image is built from and the database tools.
APP_IMAGES=("$PAPERLESS_IMAGE" "$PAPERLESS_IMAGE-next" "$MAJOR_REHEARSAL_IMAGE")
SWARM_IMAGES=("$base_image" paperless-ha/pgtools:1 paperless-ha/pgbouncer:1)
# Each group is one tar, so the layers its images share (the two Paperless builds) are saved,
# copied and loaded once.
seed_groups() { echo app; if [ "$swarm" = "1" ]; then echo swarm; fi; }
group_images() { if [ "$1" = app ]; then printf '%s\n' "${APP_IMAGES[@]}"; else printf '%s\n' "${SWARM_IMAGES[@]}"; fi; }
group_tar() { echo "$dir/images/$1.tar"; }

images() {
    need_root
    ensure_packages
    ensure_dockerd
    mkdir -p "$dir/images"
    build_base bookworm
    build_image "$host_image" test/sandbox/host
    build_base trixie
    paperless_image
    build_image "$PAPERLESS_IMAGE-next" test/sandbox/paperless-next "$PAPERLESS_IMAGE"
    build_image "$MAJOR_REHEARSAL_IMAGE" test/sandbox/paperless-major-rehearsal "$PAPERLESS_IMAGE"
    if [ "$swarm" = "1" ]; then
        build_image paperless-ha/pgtools:1 test/sandbox/pgtools
        build_image paperless-ha/pgbouncer:1 test/sandbox/pgbouncer
    fi
    local group file ids
    for group in $(seed_groups); do
        file=$(group_tar "$group")
        mapfile -t imgs < <(group_images "$group")
        ids=$(docker image inspect -f '{{ .Id }}' "${imgs[@]}" | tr '\n' ' ')
        if [ ! -f "$file" ] || [ "$(cat "$file.id" 2>/dev/null)" != "$ids" ]; then
            docker save -o "$file.part" "${imgs[@]}"
            mv "$file.part" "$file"
            echo "$ids" > "$file.id"
        fi
    done
}

wait_ssh() { # wait_ssh ADDRESS
    for _ in $(seq 1 60); do
        ssh -i "$dir/id_ed25519" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
            -o ConnectTimeout=2 -o LogLevel=ERROR "root@$1" true 2>/dev/null && return
        sleep 1
    done
    log "no SSH on $1"
    exit 1
}

# What a test host container is allowed: systemd, its own Docker engine, FUSE.
HOST_FLAGS=(--cap-add ALL --cap-drop SYS_RESOURCE --security-opt seccomp=unconfined --security-opt apparmor=unconfined
    --cgroupns=host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --device /dev/fuse)

# A host's Docker data with the seed images loaded, made once per set of images and kept as a
# volume outside the checkout. A new host starts from a copy of it whose image layers are hard links
# (Docker only reads them): a second, where loading the tars takes half a minute or more per host.
# Sets seed_from to the template's directory, or to nothing where this machine cannot read Docker's
# volumes (the hosts then load the tars).
seed_from=
seed_template() {
    local groups key vol mp c ok=0
    groups=$(seed_groups | tr '\n' ' ')
    key=$(for group in $groups; do cat "$(group_tar "$group").id"; done | sha256sum | cut -c1-12)
    vol="paperless-ha-seed-$key"
    docker volume inspect "$vol" >/dev/null 2>&1 ||
        docker volume create --label paperless-ha.seed="$groups" "$vol" >/dev/null
    mp=$(docker volume inspect -f '{{ .Mountpoint }}' "$vol")
    seed_from=
    [ -d "$mp" ] || return 0
    if [ ! -f "$mp/.seeded" ]; then
        log "seed template $vol: loading ${groups% } once"
        c=paperless-ha-seeding
        docker rm -f "$c" >/dev/null 2>&1 || true
        # What an interrupted run left half made.
        find "$mp" -mindepth 1 -delete
        docker run -d --name "$c" "${HOST_FLAGS[@]}" -v "$vol:/var/lib/docker" "$host_image" >/dev/null
        for _ in $(seq 1 60); do docker exec "$c" docker info >/dev/null 2>&1 && ok=1 && break; sleep 1; done
        [ "$ok" = 1 ] || { log "the seeding host's Docker engine did not start in 60 s"; docker rm -f "$c" >/dev/null; exit 1; }
        for group in $groups; do docker exec -i "$c" docker load -q < "$(group_tar "$group")" >/dev/null; done
        docker exec "$c" systemctl stop docker.socket docker.service
        docker rm -f "$c" >/dev/null
        touch "$mp/.seeded"
        # Older templates of the same image set go.
        docker volume ls -q --filter "label=paperless-ha.seed=$groups" | grep -vxF "$vol" | xargs -r docker volume rm >/dev/null || true
    fi
    seed_from=$mp
}

start_host() { # start_host NAME ADDRESS SANDBOX_ID
    local container="paperless-ha-$1" disk
    log "starting $container at $2"
    # A fresh host has fresh disks, whatever an interrupted run left.
    docker volume rm -f "$container-docker" "$container-srv" >/dev/null
    if [ -n "$seed_from" ]; then
        docker volume create "$container-docker" >/dev/null
        disk=$(docker volume inspect -f '{{ .Mountpoint }}' "$container-docker")
        cp -al "$seed_from/overlay2" "$disk/"
        find "$seed_from" -mindepth 1 -maxdepth 1 ! -name overlay2 ! -name .seeded ! -name engine-id -exec cp -a {} "$disk/" \;
    fi
    docker run -d --name "$container" --hostname "$1" --label "$label" --label "paperless-ha.sandbox-id=$3" \
        --network "$net" --ip "$2" "${HOST_FLAGS[@]}" \
        -v "$container-docker:/var/lib/docker" -v "$container-srv:/srv" \
        --label "paperless-ha.volumes=$container-docker,$container-srv" \
        "$host_image" >/dev/null
}

address_of() { docker inspect -f "{{ (index .NetworkSettings.Networks \"$net\").IPAddress }}" "$1"; }

authorize() { # authorize CONTAINER: the sandbox key logs in as root
    docker exec -i "$1" sh -c 'mkdir -p /root/.ssh && chmod 700 /root/.ssh && cat > /root/.ssh/authorized_keys' < "$dir/id_ed25519.pub"
}

host_key() { # host_key CONTAINER: the host's ed25519 key as a stack pins it (sshd makes it at first boot)
    local key="" _
    for _ in $(seq 1 60); do
        key=$(docker exec "$1" cat /etc/ssh/ssh_host_ed25519_key.pub 2>/dev/null | awk '{ print $1, $2 }') && [ -n "$key" ] && break
        sleep 1
    done
    [ -n "$key" ] || { log "$1 has no SSH host key after 60 s"; exit 1; }
    printf '%s' "$key"
}

# The pgactive release archive a host would download (there is no download site here): placed where
# database.pgactive.install: source keeps what it downloads, so the host checks its sha256 and builds
# it as a real host does.
pgactive_source=${PGACTIVE_SOURCE:-$root/../shared/vendor/pgactive-2.1.8.tar.gz}

seed_host() { # seed_host CONTAINER ADDRESS: wait for SSH, then load the images a template did not bring
    wait_ssh "$2"
    if [ -f "$pgactive_source" ]; then
        docker exec "$1" mkdir -p /usr/local/src
        docker cp "$pgactive_source" "$1:/usr/local/src/$(basename "$pgactive_source")"
    fi
    # There is no registry to pull from.
    local group
    for group in $(seed_groups); do
        mapfile -t imgs < <(group_images "$group")
        docker exec "$1" docker image inspect "${imgs[@]}" >/dev/null 2>&1 ||
            docker exec -i "$1" docker load -q < "$(group_tar "$group")" >/dev/null
    done
}

swarm=0

up() {
    local nodes=3
    while [ $# -gt 0 ]; do
        case "$1" in
        --nodes) nodes=$2; shift 2 ;;
        --swarm) swarm=1; shift ;;
        *) log "unknown option $1"; exit 2 ;;
        esac
    done
    images
    seed_template
    [ -f "$dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N "" -C paperless-ha-sandbox -f "$dir/id_ed25519"
    # Hosts belong to the checkout that made them; the engine state describes only those.
    [ -f "$dir/sandbox-id" ] || head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$dir/sandbox-id"
    local id fresh=0
    id=$(cat "$dir/sandbox-id")
    docker network inspect "$net" >/dev/null 2>&1 ||
        docker network create --label "$label" --subnet "$subnet_prefix.0/24" "$net" >/dev/null
    local i name container addr hosts=() addrs=()
    for i in $(seq 1 "$nodes"); do
        name="node$i"
        container="paperless-ha-$name"
        addr="$subnet_prefix.$((10 + i))"
        if docker container inspect "$container" >/dev/null 2>&1 &&
            [ "$(docker inspect -f '{{ index .Config.Labels "paperless-ha.sandbox-id" }}' "$container")" != "$id" ]; then
            log "$container belongs to another checkout; replacing it"
            remove_host "$container"
        fi
        if ! docker container inspect "$container" >/dev/null 2>&1; then
            fresh=1
            start_host "$name" "$addr" "$id"
        else
            docker start "$container" >/dev/null
            addr=$(address_of "$container")
        fi
        authorize "$container"
        addrs+=("$addr")
        hosts+=("$(printf '{"name":"%s","address":"%s","sshPort":22,"keyPath":"%s","container":"%s","hostKey":"%s"}' "$name" "$addr" "$dir/id_ed25519" "$container" "$(host_key "$container")")")
    done
    # Side by side: each host waits for SSH and loads what its disk copy did not bring.
    local pids=()
    for i in $(seq 1 "$nodes"); do
        seed_host "paperless-ha-node$i" "${addrs[$((i - 1))]}" &
        pids+=("$!")
    done
    for i in "${!pids[@]}"; do
        wait "${pids[$i]}" || { log "seeding node$((i + 1)) failed"; exit 1; }
    done
    if [ "$fresh" = "1" ] && [ -d "$dir/engine" ]; then
        log "new hosts: forgetting the engine state of the old ones"
        rm -rf "$dir/engine"
    fi
    (IFS=,; printf '[%s]\n' "${hosts[*]}") > "$dir/hosts.json"
    log "$nodes hosts up; $dir/hosts.json"
}

# A host lost for good and a new one under the same name: the container and its disks go, a fresh
# host starts at another address (.3N for nodeN), and hosts.json gives the new address.
replace() { # replace NAME [--swarm]
    local name=$1 container="paperless-ha-$1" old new id
    if [ "${2:-}" = "--swarm" ]; then swarm=1; fi
    [[ "$name" =~ ^node([0-9]+)$ ]] || { log "replace takes a node name like node4, not '$name'"; exit 2; }
    docker container inspect "$container" >/dev/null 2>&1 || { log "no host $name to replace"; exit 1; }
    old=$(address_of "$container")
    new="$subnet_prefix.$((30 + BASH_REMATCH[1]))"
    [ "$old" != "$new" ] || new="$subnet_prefix.$((10 + BASH_REMATCH[1]))"
    id=$(cat "$dir/sandbox-id")
    log "losing $container at $old for good"
    remove_host "$container"
    seed_template
    start_host "$name" "$new" "$id"
    authorize "$container"
    seed_host "$container" "$new"
    node -e 'const fs = require("fs"); const [file, name, address, hostKey] = process.argv.slice(1);
        const hosts = JSON.parse(fs.readFileSync(file, "utf8")).map((h) => (h.name === name ? { ...h, address, hostKey } : h));
        fs.writeFileSync(file, JSON.stringify(hosts) + "\n");' "$dir/hosts.json" "$name" "$new" "$(host_key "$container")"
    log "$name replaced: $old -> $new"
}

remove_host() { # remove_host CONTAINER: the container and the volumes made for it
    local vols v
    vols=$(docker inspect -f '{{ index .Config.Labels "paperless-ha.volumes" }}' "$1")
    docker rm -f "$1" >/dev/null
    for v in ${vols//,/ }; do docker volume rm -f "$v" >/dev/null; done
}

down() {
    need_root
    docker info >/dev/null 2>&1 || { log "no Docker engine running; nothing to remove"; return; }
    local c
    for c in $(docker ps -aq --filter "label=$label"); do remove_host "$c"; done
    if docker network inspect "$net" >/dev/null 2>&1; then docker network rm "$net" >/dev/null; fi
    rm -rf "$dir/hosts.json" "$dir/engine" "$dir/known_hosts"
    log "sandbox removed"
}

case "${1:-}" in
up) shift; up "$@" ;;
down) down ;;
images) images ;;
replace) need_root; shift; replace "$@" ;;
*) echo "usage: $0 up [--nodes N] [--swarm] | replace NAME [--swarm] | down | images" >&2; exit 2 ;;
esac
