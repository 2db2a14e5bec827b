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
"peer status") while read -r p; do printf 'Hostname: %s\nUuid: x\nState: Peer in Cluster (Connected)\n' "$p"; done < "$STATE/pool" ;;
"pool list") echo "UUID Hostname State"; echo "u localhost Connected"; while read -r p; do echo "u $p Connected"; done < "$STATE/pool" ;;
"peer detach") grep -vxF "$3" "$STATE/pool" > "$STATE/pool.new" || true; mv "$STATE/pool.new" "$STATE/pool" ;;
"volume info") [ -s "$STATE/bricks" ] || exit 1; echo "Status: Started"; n=0; while read -r b; do n=$((n + 1)); echo "Brick$n: $b"; done < "$STATE/bricks" ;;
"volume replace-brick") sed -i "s|^$4\$|$5|" "$STATE/bricks" ;;
"volume add-brick") echo "$6" >> "$STATE/bricks" ;;
"volume remove-brick") grep -vxF "$6" "$STATE/bricks" > "$STATE/bricks.new" || true; mv "$STATE/bricks.new" "$STATE/bricks" ;;
esac
exit 0
`;

/** Run the script with a volume holding `existing` bricks and a pool of `pool` peers. */
function converge(existing: string[], pool: string[], peers: string[], bricks: string[]) {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "gluster-"));
    fs.writeFileSync(path.join(state, "gluster"), FAKE_GLUSTER, { mode: 0o755 });
    fs.writeFileSync(path.join(state, "bricks"), existing.map((b) => `${b}\n`).join(""));
    fs.writeFileSync(path.join(state, "pool"), pool.map((p) => `${p}\n`).join(""));
    fs.writeFileSync(path.join(state, "log"), "");
    const r = spawnSync("bash", ["-s"], {
        input: withLib(hostScript("gluster-volume")),
        env: { PATH: `${state}:/usr/bin:/bin`, STATE: state, VOLUME: "paperless", ARBITER: "0", PEERS: peers.join(" "), BRICKS: bricks.join("\n") },
        encoding: "utf8",
    });
    const read = (f: string) => fs.readFileSync(path.join(state, f), "utf8").split("\n").filter(Boolean);
    return { status: r.status, stderr: r.stderr, bricks: read("bricks"), pool: read("pool"), changes: read("log").filter((l) => /^(volume (add|remove|replace)-brick|peer detach|volume heal)/.test(l)) };
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

    it("changes no brick when the list is unchanged", () => {
        const all = [brick("10.0.0.1"), brick("10.0.0.2"), brick("10.0.0.3")];
        expect(converge(all, ["10.0.0.2", "10.0.0.3"], ["10.0.0.2", "10.0.0.3"], all).changes).toEqual([]);
    });
});
