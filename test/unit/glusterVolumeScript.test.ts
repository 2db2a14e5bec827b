/**
 * scripts/host/gluster-volume.sh against a stand-in `gluster` that keeps the volume's bricks in a
 * file and logs every command: which bricks a changed node list adds, removes or moves.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";

const FAKE_GLUSTER = String.raw`#!/bin/bash
[ "$1" = "--mode=script" ] && shift
echo "$*" >> "$STATE/log"
case "$1 $2" in
"peer probe") grep -qxF "$3" "$STATE/pool" || echo "$3" >> "$STATE/pool" ;;
"peer status") while read -r p u; do [ -n "$u" ] || u=u-$p; printf 'Hostname: %s\nUuid: %s\nState: Peer in Cluster (Connected)\n\n' "$p" "$u"; done < "$STATE/pool" ;;
"pool list") echo "UUID Hostname State"; echo "u localhost Connected"; while read -r p; do echo "u $p Connected"; done < "$STATE/pool" ;;
"peer detach") grep -vxF "$3" "$STATE/pool" > "$STATE/pool.new" || true; mv "$STATE/pool.new" "$STATE/pool" ;;
"volume info") [ -s "$STATE/bricks" ] || exit 1
    if [ "$4" = "--xml" ]; then while read -r b; do echo "<brick uuid=\"u-$(cut -d: -f1 <<< "$b")\">$b<name>$b</name></brick>"; done < "$STATE/bricks"
    else echo "Status: Started"; n=0; while read -r b; do n=$((n + 1)); echo "Brick$n: $b"; done < "$STATE/bricks"; fi ;;
"volume replace-brick") sed -i "s|^$4\$|$5|" "$STATE/bricks" ;;
"volume add-brick") echo "$6" >> "$STATE/bricks" ;;
"volume remove-brick") grep -vxF "$6" "$STATE/bricks" > "$STATE/bricks.new" || true; mv "$STATE/bricks.new" "$STATE/bricks" ;;
esac
exit 0
`;

/** Run `script` with a volume holding `existing` bricks (none: no volume) and a pool of `pool` peers ("name [uuid]"). */
function run(script: string, existing: string[], pool: string[], env: Record<string, string>) {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "gluster-"));
    fs.writeFileSync(path.join(state, "gluster"), FAKE_GLUSTER, { mode: 0o755 });
    fs.writeFileSync(path.join(state, "bricks"), existing.map((b) => `${b}\n`).join(""));
    fs.writeFileSync(path.join(state, "pool"), pool.map((p) => `${p}\n`).join(""));
    fs.writeFileSync(path.join(state, "log"), "");
    const r = spawnSync("bash", ["-s"], {
        input: withLib(hostScript(script)),
        env: { PATH: `${state}:/usr/bin:/bin`, STATE: state, VOLUME: "paperless", ...env },
        encoding: "utf8",
    });
    const read = (f: string) => fs.readFileSync(path.join(state, f), "utf8").split("\n").filter(Boolean);
    return { status: r.status, stderr: r.stderr, bricks: read("bricks"), pool: read("pool"), log: read("log") };
}

function converge(existing: string[], pool: string[], peers: string[], bricks: string[]) {
    const r = run("gluster-volume", existing, pool, { ARBITER: "0", PEERS: peers.join(" "), BRICKS: bricks.join("\n") });
    return { ...r, changes: r.log.filter((l) => /^(volume (add|remove|replace)-brick|peer detach|volume heal)/.test(l)) };
}

const brick = (ip: string) => `${ip}:/srv/gluster/paperless/brick`;

describe("gluster-volume.sh", () => {
    it("moves the brick of a node given a new address (its host replaced), heals, and lets the old peer go", () => {
        const r = converge([brick("10.0.0.1"), brick("10.0.0.3"), brick("10.0.0.4")], ["10.0.0.3", "10.0.0.4", "10.0.0.34"],
            ["10.0.0.3", "10.0.0.34"], [brick("10.0.0.1"), brick("10.0.0.3"), brick("10.0.0.34")]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.changes).toEqual([
            `volume replace-brick paperless ${brick("10.0.0.4")} ${brick("10.0.0.34")} commit force`,
            "peer detach 10.0.0.4 force",
            "volume heal paperless full",
        ]);
        expect(r.bricks).toEqual([brick("10.0.0.1"), brick("10.0.0.3"), brick("10.0.0.34")]);
        expect(r.pool).toEqual(["10.0.0.3", "10.0.0.34"]);
    });

    it("adds a new node's brick one replica higher, and removes an unlisted node's one replica lower", () => {
        const grown = converge([brick("10.0.0.1"), brick("10.0.0.2")], ["10.0.0.2"], ["10.0.0.2", "10.0.0.3"],
            [brick("10.0.0.1"), brick("10.0.0.2"), brick("10.0.0.3")]);
        expect(grown.changes).toEqual([`volume add-brick paperless replica 3 ${brick("10.0.0.3")} force`, "volume heal paperless full"]);
        const shrunk = converge([brick("10.0.0.1"), brick("10.0.0.2"), brick("10.0.0.3")], ["10.0.0.2", "10.0.0.3"], ["10.0.0.3"],
            [brick("10.0.0.1"), brick("10.0.0.3")]);
        expect(shrunk.changes).toEqual([`volume remove-brick paperless replica 2 ${brick("10.0.0.2")} force`, "peer detach 10.0.0.2 force"]);
    });

    it("keeps a peer known here by name, not by its listed address, while it holds a brick", () => {
        const all = [brick("10.0.0.1"), brick("10.0.0.2"), brick("10.0.0.3")];
        expect(converge(all, ["node2 u-10.0.0.2", "10.0.0.3"], ["10.0.0.2", "10.0.0.3"], all).changes).toEqual([]);
    });

    it("changes no brick when the list is unchanged", () => {
        const all = [brick("10.0.0.1"), brick("10.0.0.2"), brick("10.0.0.3")];
        expect(converge(all, ["10.0.0.2", "10.0.0.3"], ["10.0.0.2", "10.0.0.3"], all).changes).toEqual([]);
    });
});

/** A stand-in `gluster` and `getent` for the pool step: peers as "uuid name state", bricks as "uuid host:path", names as "name address". */
const FAKE_POOL = String.raw`#!/bin/bash
[ "$1" = "--mode=script" ] && shift
echo "$*" >> "$STATE/log"
case "$1 $2" in
"volume info") [ -s "$STATE/bricks" ] || exit 1
    if [ "$4" = "--xml" ]; then while read -r u b; do echo "<brick uuid=\"$u\">$b<name>$b</name><hostUuid>$u</hostUuid></brick>"; done < "$STATE/bricks"
    else n=0; while read -r u b; do n=$((n + 1)); echo "Brick$n: $b"; done < "$STATE/bricks"; fi ;;
"peer status") while read -r u h st; do printf 'Hostname: %s
Uuid: %s
State: %s

' "$h" "$u" "$st"; done < "$STATE/peers" ;;
"volume remove-brick") u=$(awk -v n="$(cut -d: -f1 <<< "$6")" '$2 == n { print $1 }' "$STATE/peers"); grep -v "^$u " "$STATE/bricks" > "$STATE/b.new" || true; mv "$STATE/b.new" "$STATE/bricks" ;;
"peer detach") awk -v n="$3" '$2 != n' "$STATE/peers" > "$STATE/p.new"; mv "$STATE/p.new" "$STATE/peers" ;;
"peer probe") echo "new $3 Peer in Cluster (Connected)" >> "$STATE/peers" ;;
esac
`;
const FAKE_GETENT = String.raw`#!/bin/bash
awk -v n="$2" '$1 == n { print $2 "  STREAM " n }' "$STATE/names"
`;

function pool(peers: string[], bricks: string[], firstUuid: string) {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "gluster-pool-"));
    fs.writeFileSync(path.join(state, "gluster"), FAKE_POOL, { mode: 0o755 });
    fs.writeFileSync(path.join(state, "getent"), FAKE_GETENT, { mode: 0o755 });
    fs.writeFileSync(path.join(state, "peers"), peers.map((p) => `${p}\n`).join(""));
    fs.writeFileSync(path.join(state, "bricks"), bricks.map((b) => `${b}\n`).join(""));
    fs.writeFileSync(path.join(state, "names"), "node1 10.0.0.31\nnode3 10.0.0.3\n");
    fs.writeFileSync(path.join(state, "log"), "");
    const r = spawnSync("bash", ["-s"], {
        input: withLib(hostScript("gluster-pool")),
        env: { PATH: `${state}:/usr/bin:/bin`, STATE: state, VOLUME: "paperless", FIRST: "10.0.0.31", FIRST_UUID: firstUuid },
        encoding: "utf8",
    });
    const read = (f: string) => fs.readFileSync(path.join(state, f), "utf8").split("\n").filter(Boolean);
    return { status: r.status, stderr: r.stderr, changes: read("log").filter((l) => /^(volume remove-brick|peer (detach|probe))/.test(l)), peers: read("peers"), bricks: read("bricks") };
}

describe("gluster-pool.sh (on the second node)", () => {
    const bricks = ["old1 10.0.0.1:/b", "u2 10.0.0.2:/b", "u3 10.0.0.3:/b"];

    it("lets a new first host in: the lost host's peer (its name now resolving to the new host) drops its brick and goes, then the new one is probed", () => {
        const r = pool(["old1 node1 Peer Rejected (Connected)", "u3 10.0.0.3 Peer in Cluster (Connected)"], bricks, "new1");
        expect(r.status, r.stderr).toBe(0);
        expect(r.changes).toEqual(["volume remove-brick paperless replica 2 node1:/b force", "peer detach node1 force", "peer probe 10.0.0.31"]);
        expect(r.peers).toEqual(["u3 10.0.0.3 Peer in Cluster (Connected)", "new 10.0.0.31 Peer in Cluster (Connected)"]);
        expect(r.bricks).toEqual(["u2 10.0.0.2:/b", "u3 10.0.0.3:/b"]);
    });

    it("only probes when no peer entry leads to the first node's address", () => {
        const r = pool(["old1 10.0.0.1 Peer in Cluster (Disconnected)", "u3 10.0.0.3 Peer in Cluster (Connected)"], bricks, "new1");
        expect(r.changes).toEqual(["peer probe 10.0.0.31"]);
    });

    it("changes nothing while the first node's glusterd is a peer, even disconnected, or no volume exists here yet", () => {
        expect(pool(["new1 node1 Peer in Cluster (Disconnected)", "u3 10.0.0.3 Peer in Cluster (Connected)"], bricks, "new1").changes).toEqual([]);
        expect(pool([], [], "new1").changes).toEqual([]);
    });
});
