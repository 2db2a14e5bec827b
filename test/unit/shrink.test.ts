/**
 * Taking a node off the list: the program's side (what changes, what the first node is told to
 * remove) and the membership guard that refuses a shrink below three.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { baseConfig, plain, ProgramRun, runProgram, swarmConfig } from "./harness";
import { validateConfig } from "../../components/config";
import { guardEnv } from "../../components/guard";

const COMMAND = "command:remote:Command";
const patroni = (nodes: number) => ({ ...baseConfig(nodes), database: { engine: "patroni" } });
/** node2 of four taken off the list. */
const withoutNode2 = (c: Record<string, unknown>) => ({ ...c, nodes: (c.nodes as { name: string }[]).filter((n) => n.name !== "node2") });
const stdin = (run: ProgramRun, name: string) => String((plain(run.byName(name).inputs) as { stdin: string }).stdin);

describe("shrinking 4 -> 3 (node2 removed)", () => {
    it("drops node2's resources, changes only membership, and has the first node remove node2's etcd member and brick", async () => {
        const before = await runProgram(patroni(4));
        const after = await runProgram(withoutNode2(patroni(4)));
        const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;
        const now = new Map(after.resources.map((r) => [key(r), r]));
        const gone = before.resources.filter((r) => !now.has(key(r))).map((r) => r.name);
        expect(gone.length).toBeGreaterThan(10);
        expect(gone.every((n) => n.includes("node2"))).toBe(true);
        expect(after.resources.filter((r) => !before.resources.some((b) => key(b) === key(r)))).toEqual([]);
        const changed = before.resources
            .filter((r) => now.has(key(r)) && JSON.stringify(r.inputs) !== JSON.stringify(now.get(key(r))!.inputs))
            .map((r) => r.name).sort();
        expect(changed).toEqual([
            ...["node1", "node3", "node4"].flatMap((n) => [`${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-etcd`, `db-${n}-patroni`, `edge-${n}-haproxy`, `monitoring-${n}-metrics`]),
            "gluster-volume", "db-bootstrap", "membership-guard",
        ].sort());
        expect(before.resources.find((r) => r.name === "gluster-volume")!.type).toBe(COMMAND);

        const volume = stdin(after, "gluster-volume");
        expect(volume).toContain("export BRICKS='10.0.0.11:/srv/gluster/paperless/brick\n10.0.0.13:/srv/gluster/paperless/brick\n10.0.0.14:/srv/gluster/paperless/brick'");
        expect(volume).toContain("export PEERS='10.0.0.13 10.0.0.14'");
        expect(stdin(after, "db-node1-etcd")).toContain("export KEEP='https://10.0.0.11:2380 https://10.0.0.13:2380 https://10.0.0.14:2380'");
        for (const n of ["node3", "node4"]) expect(stdin(after, `db-${n}-etcd`)).not.toContain("export KEEP=");
        expect(stdin(after, "edge-node1-haproxy")).not.toContain("10.0.0.12");
    });

    it("with pgactive, tells the group on the first node which members remain", async () => {
        const after = await runProgram(withoutNode2(baseConfig(4)));
        expect(stdin(after, "db-group")).toContain("export MEMBERS='node1 node3 node4'");
    });
});

describe("membership guard", () => {
    it("runs on the first node before anything on any host", async () => {
        const run = await runProgram(patroni(3));
        for (const n of ["node1", "node2", "node3"]) expect(run.dependsOn(`${n}-ssh`, "membership-guard")).toBe(true);
        expect(JSON.stringify(plain(run.byName("membership-guard").inputs.connection))).toContain("10.0.0.11");
    });

    it("counts what each topology holds a quorum in", () => {
        const env = (config: Record<string, unknown>) => guardEnv(validateConfig(config));
        expect(env(patroni(3))).toEqual({ FORCE: "0", ETCD_TLS: "/etc/etcd/paperless-ha-tls", ETCD_WANT: "3", VOLUME: "paperless", BRICKS_WANT: "3" });
        // pgactive keeps no quorum of its own; the volume does.
        expect(env(baseConfig(4))).toEqual({ FORCE: "0", VOLUME: "paperless", BRICKS_WANT: "4" });
        expect(env({ ...swarmConfig(5), forceShrink: true })).toEqual({ FORCE: "1", MANAGERS_WANT: "3" });
    });

    // The script itself, against stand-ins for etcdctl, systemctl, gluster and docker on PATH.
    const fakes = (etcdMembers: number, bricks: number): string => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
        const tool = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        tool("systemctl", "exit 0");
        tool("etcdctl", Array.from({ length: etcdMembers }, (_, i) => `echo "id${i}, started, node${i + 1}, https://10.0.0.1${i}:2380, https://10.0.0.1${i}:2379, false"`).join("\n"));
        tool("gluster", Array.from({ length: bricks }, (_, i) => `echo "Brick${i + 1}: 10.0.0.1${i}:/srv/gluster/paperless/brick"`).join("\n"));
        return dir;
    };
    const guard = (dir: string, env: Record<string, string>) => spawnSync("bash", [path.join(__dirname, "../../scripts/host/membership-guard.sh")], {
        env: { PATH: `${dir}:/usr/bin:/bin`, ETCD_TLS: "/x", VOLUME: "paperless", ...env },
        encoding: "utf8",
    });

    it("refuses to take etcd or the volume from three or more below three, naming both counts", () => {
        const r = guard(fakes(4, 4), { ETCD_WANT: "2", BRICKS_WANT: "2" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("etcd members: 4 now, 2 after this change");
        expect(r.stderr).toContain("bricks of volume paperless: 4 now, 2 after this change");
        expect(r.stderr).toContain("paperless-ha:forceShrink");
    });

    it("lets a shrink that keeps three, a growth, a forced shrink and bare hosts through", () => {
        expect(guard(fakes(4, 4), { ETCD_WANT: "3", BRICKS_WANT: "3" }).status).toBe(0);
        expect(guard(fakes(3, 3), { ETCD_WANT: "4", BRICKS_WANT: "4" }).status).toBe(0);
        expect(guard(fakes(2, 2), { ETCD_WANT: "1", BRICKS_WANT: "1" }).status).toBe(0);
        const forced = guard(fakes(3, 3), { ETCD_WANT: "1", BRICKS_WANT: "1", FORCE: "1" });
        expect(forced.status).toBe(0);
        expect(forced.stderr).toContain("forceShrink is set");
        const bare = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
        expect(guard(bare, { ETCD_WANT: "1", BRICKS_WANT: "1" }).status).toBe(0);
    });
});
