# shellcheck shell=bash disable=SC2034  # TLS_CHANGED is read by the scripts this file precedes
# Helpers for every host script: runScript sends this file ahead of each script on stdin.

# copy_node_tls DIR OWNER: the cluster CA and this node's certificate and key (written by the tls
# step) into DIR, readable by OWNER only. Sets TLS_CHANGED=1 when a file changed.
TLS_CHANGED=0
copy_node_tls() {
    local dir=$1 owner=$2 f
    install -d -o "$owner" -g "$owner" -m 0700 "$dir"
    for f in ca.crt node.crt node.key; do
        if ! cmp -s "/etc/paperless-ha/tls/$f" "$dir/$f"; then
            install -o "$owner" -g "$owner" -m 0600 "/etc/paperless-ha/tls/$f" "$dir/$f"
            TLS_CHANGED=1
        fi
    done
}

# file_differs PATH CONTENT: PATH is missing or does not hold exactly CONTENT.
file_differs() { ! printf '%s' "$2" | cmp -s - "$1"; }

# put_file PATH MODE CONTENT [OWNER]: replace PATH whole (its directories made) only when CONTENT
# differs, so nothing ever reads a half-written file. Sets FILE_CHANGED=1 when it wrote.
FILE_CHANGED=0
put_file() {
    local owner=()
    file_differs "$1" "$3" || return 0
    [ -z "${4:-}" ] || owner=(-o "$4" -g "$4")
    install -D -m "$2" "${owner[@]}" /dev/null "$1.new"
    printf '%s' "$3" > "$1.new"
    mv -f "$1.new" "$1"
    FILE_CHANGED=1
}

# set_aside PATH: rename PATH to PATH.retained-<UTC time>, keeping every file, and say where.
set_aside() {
    local kept
    kept="$1.retained-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$1" "$kept"
    echo "kept in $kept" >&2
}

# retire PATH RETAIN: a directory the cluster no longer uses is set aside (RETAIN=1) or removed.
# For the program's own fixed paths; a path the config names goes through retire_owned.
retire() {
    [ -e "$1" ] || return 0
    if [ "$2" = "0" ]; then rm -rf "$1"; else set_aside "$1"; fi
}

# The directories the config named that the program made on this host, one a line: only these
# are ever deleted, so a path that held something else before is left as it was.
OWNED_DIRS=${OWNED_DIRS:-/var/lib/paperless-ha/owned-dirs}

# own_dir PATH MODE: PATH exists with MODE; when this call made it, it is recorded as the program's.
own_dir() {
    if [ ! -e "$1" ]; then
        install -d -m "$2" "$1"
        install -d -m 0755 "$(dirname "$OWNED_DIRS")"
        grep -qxF -- "$1" "$OWNED_DIRS" 2>/dev/null || printf '%s\n' "$1" >> "$OWNED_DIRS"
    else
        install -d -m "$2" "$1"
    fi
}

# retire_owned PATH RETAIN: as retire, but a directory the program did not make is never removed.
retire_owned() {
    [ -e "$1" ] || return 0
    if [ "$2" != "0" ]; then set_aside "$1"; return 0; fi
    if grep -qxF -- "$1" "$OWNED_DIRS" 2>/dev/null; then
        rm -rf "$1"
        local rest
        rest=$(grep -vxF -- "$1" "$OWNED_DIRS" || true)
        put_file "$OWNED_DIRS" 0644 "${rest:+$rest$'\n'}"
    else
        echo "$1 was there before paperless-ha made its own: left in place" >&2
    fi
}

# wait_for WHAT TRIES PAUSE COMMAND...: run COMMAND every PAUSE seconds until it succeeds, TRIES
# times at the most; else fail, naming WHAT it waited for.
wait_for() {
    local what=$1 tries=$2 pause=$3 _
    shift 3
    for _ in $(seq 1 "$tries"); do
        "$@" && return 0
        sleep "$pause"
    done
    echo "gave up waiting for $what (${tries} tries, ${pause}s apart)" >&2
    return 1
}

# retry_on REGEX COMMAND...: run COMMAND, its output and errors captured, again every 2 s (30
# tries at the most) while it fails saying something REGEX matches: a condition that passes.
# Prints the output; the last failure's on stderr.
retry_on() {
    local re=$1 out rc=1 _
    shift
    for _ in $(seq 1 30); do
        out=$("$@" 2>&1) && { printf '%s\n' "$out"; return 0; }
        rc=$?
        [[ $out =~ $re ]] || break
        sleep 2
    done
    printf '%s\n' "$out" >&2
    return "$rc"
}

# gluster_cli ARGS...: the gluster CLI in script mode, retried while another transaction (a query
# from elsewhere in the cluster: a status, a heal) holds glusterd's cluster-wide lock.
gluster_cli() { retry_on 'Another transaction is in progress|Locking failed' gluster --mode=script "$@"; }

# gluster_peers: one line per peer of this node's trusted pool, "UUID IN NAME [OTHER NAMES...]",
# IN being yes for a connected "Peer in Cluster". A peer that probed this node is known by the name
# its address resolved to, the address among its other names.
gluster_peers() {
    local status
    status=$(gluster_cli peer status) || return
    awk 'function out() { if (name) print uuid " " state " " name }
        /^Hostname:/ { out(); name = $2; other = 0 } /^Uuid:/ { uuid = $2 }
        /^State:/ { state = ($0 == "State: Peer in Cluster (Connected)") ? "yes" : "no" }
        /^Other names:/ { other = 1; next } other && NF { name = name " " $1 } END { out() }' <<< "$status"
}

# dpkg_finish: configure what a run cut off mid-install left unpacked (apt refuses until then).
# That run's apt may still hold dpkg's lock (a dropped SSH session does not stop it), and dpkg does
# not wait for a lock as apt does: retry, bounded like apt's own wait.
dpkg_finish() {
    local out try
    for try in $(seq 1 120); do
        out=$(dpkg --configure -a 2>&1) && return 0
        case $out in *lock*) ;; *) break ;; esac
        [ "$try" != 1 ] || echo "waiting for another package run on $(hostname) to let go of dpkg's lock" >&2
        sleep 5
    done
    printf '%s\n' "$out" >&2
    return 1
}

# swarm_cli ARGS...: a docker command the swarm's leader answers, retried while its raft cannot
# commit in time: a manager that just joined is still catching up (until then every write waits
# for it), or the managers are electing a leader.
swarm_cli() { retry_on 'DeadlineExceeded|context deadline exceeded|does not have a leader|code = Unavailable' docker "$@"; }

# etcd_root_cert DIR CERT KEY: etcd's root certificate and key in DIR, root's alone: what
# membership changes sign in with once access control is on.
etcd_root_cert() {
    install -d -m 0700 "$1"
    put_file "$1/root.crt" 0600 "$2"
    put_file "$1/root.key" 0600 "$3"
}

# etcd_member_add EP NAME PEER_URL: add member NAME to the running etcd cluster through EP, with
# the caller's ctl. The change waits for a quorum to commit it, which a busy cluster may take longer
# than etcdctl waits for (or refuse while it settles a change just made), though the add may have
# gone through: a failed try counts once the member list shows PEER_URL; else it is tried again
# while the cluster says it is busy (every 3 s, 10 tries at the most).
etcd_member_add() {
    local ep=$1 name=$2 url=$3 out try
    for try in $(seq 1 10); do
        out=$(ctl --endpoints="$ep" member add "$name" --peer-urls="$url" 2>&1) && { printf '%s\n' "$out" >&2; return 0; }
        if grep -qF ", $url," <<< "$(ctl --endpoints="$ep" member list 2>/dev/null)"; then
            echo "etcd lists $name ($url) as added, though etcdctl did not wait to see it" >&2
            return 0
        fi
        if ! [[ $out =~ DeadlineExceeded|context\ deadline\ exceeded|unhealthy\ cluster|not\ enough\ started|request\ timed\ out|no\ leader|Unavailable ]] || [ "$try" = 10 ]; then
            break
        fi
        echo "etcd did not take $name in yet, trying again: ${out##*$'\n'}" >&2
        sleep 3
    done
    printf '%s\n' "$out" >&2
    return 1
}

# swarm_join TOKEN MANAGER ADVERTISE NAME: join node NAME to the swarm through MANAGER (host:port)
# as the token's role, once; an interrupted join is started over. The token goes to dockerd's API
# on stdin, never onto a command line. Returns once this node is active in the swarm (a manager:
# once the leader reaches it).
swarm_join() {
    local state resp _
    state=$(docker info -f '{{.Swarm.LocalNodeState}}')
    if [ "$state" = "error" ] || [ "$state" = "pending" ]; then
        docker swarm leave --force >&2 || true
        state=inactive
    fi
    if [ "$state" = "inactive" ]; then
        # A manager's join may outlast dockerd's wait (503, "the attempt to join the swarm will
        # continue in the background"): the state says how it ends.
        resp=$(printf '{"ListenAddr":"%s:2377","AdvertiseAddr":"%s","RemoteAddrs":["%s"],"JoinToken":"%s"}' "$3" "$3" "$2" "$1" |
            curl -sS -m 120 --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' -w '\n%{http_code}' \
                --data-binary @- http://localhost/swarm/join) || true
        case ${resp##*$'\n'} in
            200) echo "$4 joined the swarm through $2" >&2 ;;
            *) echo "$4 joining the swarm through $2: ${resp:-no answer from dockerd}" | tr '\n' ' ' >&2; echo >&2 ;;
        esac
    fi
    for _ in $(seq 1 120); do
        state=$(docker info -f '{{.Swarm.LocalNodeState}}')
        case $state in
            pending) sleep 1 ;;
            *) break ;;
        esac
    done
    if [ "$state" != "active" ]; then
        echo "$4 did not become active in the swarm (state: $state)" >&2
        return 1
    fi
    [ "$(docker info -f '{{.Swarm.ControlAvailable}}')" = "true" ] || return 0
    # A new manager is a raft member at once, but answers the leader only once it has caught up.
    for _ in $(seq 1 60); do
        [ "$(docker node inspect -f '{{.ManagerStatus.Reachability}}' self 2>/dev/null)" = "reachable" ] && return 0
        sleep 2
    done
    echo "$4 joined as a manager but the leader does not reach it" >&2
    return 1
}

# swarm_release NAME LABEL KEEP: on a manager, let go of every swarm node labelled LABEL=NAME but
# KEEP (a lost host whose name a new one took; with KEEP empty, a node taken off the list). A
# worker that is up is drained first and its tasks given time to stop; a manager is demoted first,
# and only when it is unreachable (a lost host): a reachable one leaves only with the whole swarm.
swarm_release() {
    local id role state reach _
    for id in $(docker node ls -q --filter "node.label=$2=$1"); do
        [ "$id" != "$3" ] || continue
        read -r role state reach < <(docker node inspect -f '{{.Spec.Role}} {{.Status.State}} {{with .ManagerStatus}}{{.Reachability}}{{end}}' "$id")
        if [ "$role" = "manager" ]; then
            # The guard lets a manager go only when its host is lost and a new one took the name.
            if [ "$reach" != "unreachable" ]; then echo "$1 ($id) is a reachable manager: it leaves with the swarm" >&2; continue; fi
            swarm_cli node demote "$id" >&2
        fi
        if [ "$state" = "ready" ]; then
            swarm_cli node update --availability drain "$id" >/dev/null
            for _ in $(seq 1 45); do
                [ "$(docker node ps --format '{{.CurrentState}}' "$id" 2>/dev/null | grep -c '^Running')" = "0" ] && break
                sleep 2
            done
        fi
        # A retried removal may find the first one committed after all.
        if ! swarm_cli node rm --force "$id" >/dev/null && docker node inspect "$id" >/dev/null 2>&1; then return 1; fi
        echo "removed swarm node $id ($1, was $state)" >&2
    done
}

# require_plain NAME...: each named variable holds only characters that need no quoting in a unit
# file or a command line (paths, image references, host:port lists); the config is checked before
# any change, and this keeps a script from writing anything else should a value slip through.
require_plain() {
    local v
    for v in "$@"; do
        if [[ ! ${!v} =~ ^[A-Za-z0-9._/:@,+=-]*$ ]]; then
            echo "$v holds characters that cannot go into a unit or command line: '${!v}'" >&2
            exit 2
        fi
    done
}

# image_release IMAGE: the Paperless-ngx release an image carries in its version label (`2.20.15`),
# or nothing when it has none.
image_release() {
    local v
    v=$(docker image inspect -f '{{ index .Config.Labels "org.opencontainers.image.version" }}' "$1" 2>/dev/null || true)
    v=${v#v}
    if [[ "$v" =~ ^[0-9]+\.[0-9]+ ]]; then echo "$v"; fi
}

# older_major HAVE WANT: release HAVE is of an earlier major than release WANT.
older_major() { [ -n "$1" ] && [ -n "$2" ] && [ "${1%%.*}" -lt "${2%%.*}" ]; }

# reindex_after_major CONTAINER MAJOR RECORD: a major upgrade may change the search index's format,
# so rebuild this node's index (Paperless's documented `document_index reindex`, in the running
# instance) when the major release it was last built for, kept in RECORD, is not MAJOR. A first
# start builds its own index: then only the major is recorded. Re-run after an interruption, it
# rebuilds again.
reindex_after_major() {
    local container=$1 major=$2 record=$3 before started=$SECONDS
    [ -n "$major" ] || return 0
    before=$(cat "$record" 2>/dev/null || true)
    if [ -n "$before" ] && [ "$before" != "$major" ]; then
        echo "rebuilding this node's search index after the major upgrade from $before.x to $major.x" >&2
        timeout 3600 docker exec "$container" document_index reindex --no-progress-bar >&2 ||
            { echo "rebuilding the search index in ${container:0:12} failed or took over an hour" >&2; return 1; }
        echo "search index rebuilt in $((SECONDS - started))s" >&2
    fi
    put_file "$record" 0644 "$major"
}

# sql_quote VALUE: VALUE as an SQL string literal, for a heredoc fed to psql's stdin.
sql_quote() { printf "'%s'" "${1//\'/\'\'}"; }

# pgactive_grant_handlers PORT DB ROLE: pgactive applies a peer's change to a table as the table's
# owner (the application's role, which made them), and on a conflict that role reads the conflict
# handlers: let it, on this node only.
pgactive_grant_handlers() {
    runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$1" -d "$2" -v app="$3" >&2 <<'SQL'
SET pgactive.skip_ddl_replication = on;
GRANT USAGE ON SCHEMA pgactive TO :"app";
GRANT SELECT ON pgactive.pgactive_conflict_handlers TO :"app";
SQL
}
