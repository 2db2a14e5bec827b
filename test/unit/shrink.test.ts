/**
 * Taking a node off the list: the program's side (what changes, what the first node is told to
 * remove) and the membership guard that refuses a shrink below three.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { baseConfig, configOf, plain, ProgramRun, runProgram, scriptVar, swarmConfig } from "./harness";
import { imageVersion } from "../../components/app";
import { guardEnv } from "../../components/guard";
import { hostScript, withLib } from "../../components/host/remoteScript";

const COMMAND = "command:remote:Command";
const patroni = (nodes: number) => ({ ...baseConfig(nodes), database: { engine: "patroni" } });
/** node2 of four taken off the list. */
const withoutNode2 = (c: Record<string, unknown>) => ({ ...c, nodes: (c.nodes as { name: string }[]).filter((n) => n.name !== "node2") });
const stdin = (run: ProgramRun, name: string) => String((plain(run.byName(name).inputs) as { stdin: string }).stdin);
/** The named variables a resource's host script receives. */
const scriptEnv = (run: ProgramRun, name: string, vars: string[]) => Object.fromEntries(vars.map((v) => [v, scriptVar(stdin(run, name), v)]));

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
            ...["node1", "node3", "node4"].flatMap((n) => [`${n}-host-key-check`, `${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-etcd`, `db-${n}-patroni`, `edge-${n}-haproxy`, `redis-${n}`, `monitoring-${n}-metrics`]),
            // The second node, which lets a new first host into the pool, is now node3.
            "gluster-pool", "gluster-volume", "db-bootstrap", "db-handover", "membership-guard",
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

describe("a Patroni leader on a node taken off the list", () => {
    it("hands over in a step on the first node after the guard and before anything on any host", async () => {
        const run = await runProgram(withoutNode2(patroni(4)));
        expect(run.dependsOn("db-handover", "membership-guard")).toBe(true);
        for (const n of ["node1", "node3", "node4"]) expect(run.dependsOn(`${n}-base`, "db-handover")).toBe(true);
        expect(JSON.stringify(plain(run.byName("db-handover").inputs.connection))).toContain("10.0.0.11");
        expect(stdin(run, "db-handover")).toContain("export MEMBERS='node1 node3 node4'");
        // pgactive has no leader to hand over.
        expect((await runProgram(baseConfig(3))).resources.some((r) => r.name === "db-handover")).toBe(false);
    });

    // patroni-handover.sh against a stand-in patronictl over a member list that a switchover rewrites.
    const handover = (members: [string, string, string][], refuse = false, env: Record<string, string> = {}) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "handover-"));
        const state = path.join(dir, "members.json");
        const log = path.join(dir, "log");
        fs.writeFileSync(state, JSON.stringify(members.map(([Member, Role, State]) => ({ Member, Role, State }))));
        fs.writeFileSync(path.join(dir, "config.yml"), "");
        fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\n", { mode: 0o755 });
        // The swarm's Patroni container on this node, c1, runs the same stand-in.
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash\necho "docker $*" >> ${log}\ncase "$1" in ps) echo c1 ;; exec) shift; while [[ "$1" == -* ]]; do [ "$1" != -e ] || shift; shift; done; shift; exec "$@" ;; esac\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "patronictl"), `#!/bin/bash
shift 2
echo "$*" >> ${log}
case "$1" in
list) cat ${state} ;;
switchover) ${refuse ? "echo 'Switchover failed, details: 412' >&2; exit 1" : `python3 -c '
import json, sys
leader, candidate = sys.argv[1], sys.argv[2]
ms = json.load(open("${state}"))
for m in ms:
    m["Role"] = "Leader" if m["Member"] == candidate else ("Replica" if m["Member"] == leader else m["Role"])
json.dump(ms, open("${state}", "w"))
' "$3" "$5"`} ;;
esac
`, { mode: 0o755 });
        const r = spawnSync("bash", [path.join(__dirname, "../../scripts/host/patroni-handover.sh")], {
            env: { PATH: `${dir}:/usr/bin:/bin`, PATRONI_CONFIG: path.join(dir, "config.yml"), MEMBERS: "node1 node3 node4", ...env },
            encoding: "utf8",
        });
        return { ...r, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [] };
    };

    it("switches over to the listed synchronous standby, and does nothing while a listed node leads", () => {
        const r = handover([["node1", "Replica", "streaming"], ["node2", "Leader", "running"], ["node3", "Sync Standby", "streaming"]]);
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["list -f json", "switchover --leader node2 --candidate node3 --force", "list -f json"]);
        expect(r.stderr).toContain("node2 leaves the cluster: handing its leadership to node3");
        expect(r.stdout).toBe("handed over from node2\n");
        const idle = handover([["node1", "Leader", "running"], ["node2", "Sync Standby", "streaming"]]);
        expect([idle.status, idle.calls]).toEqual([0, ["list -f json"]]);
    });

    it("on the swarm, runs patronictl in the first node's Patroni container", async () => {
        const run = await runProgram(withoutNode2(swarmConfig(4)));
        expect(stdin(run, "db-handover")).toContain("export CONTAINER='^paperless-db_patroni-node1\\.'");
        for (const n of ["node1", "node3", "node4"]) expect(run.dependsOn(`${n}-base`, "db-handover")).toBe(true);
        const r = handover([["node1", "Sync Standby", "streaming"], ["node2", "Leader", "running"]], false, { CONTAINER: "^paperless-db_patroni-node1\\." });
        expect(r.status, r.stderr).toBe(0);
        // patronictl and the plan's Python both run in the container.
        expect(r.calls.filter((c) => c.startsWith("docker exec")).map((c) => c.trimEnd())).toEqual([
            "docker exec c1 patronictl -c /etc/patroni/patroni.yml list -f json",
            "docker exec -i -e MEMBERS c1 python3 -c",
            "docker exec c1 patronictl -c /etc/patroni/patroni.yml switchover --leader node2 --candidate node1 --force",
            "docker exec c1 patronictl -c /etc/patroni/patroni.yml list -f json",
            "docker exec -i -e MEMBERS c1 python3 -c",
        ]);
        expect(r.stdout).toBe("handed over from node2\n");
    });

    it("fails, naming the leader, when no listed standby takes over after its bounded tries", () => {
        const r = handover([["node1", "Sync Standby", "streaming"], ["node2", "Leader", "running"]], true);
        expect(r.status).toBe(1);
        expect(r.calls.filter((c) => c.startsWith("switchover"))).toHaveLength(12);
        expect(r.stderr).toContain("node2 leads and is taken off the list, but no listed standby took its leadership");
        const alone = handover([["node1", "Replica", "stopped"], ["node2", "Leader", "running"]]);
        expect(alone.status).toBe(1);
        expect(alone.calls.some((c) => c.startsWith("switchover"))).toBe(false);
    });
});

describe("membership guard", () => {
    it("runs on the first node before anything on any host", async () => {
        const run = await runProgram(patroni(3));
        for (const n of ["node1", "node2", "node3"]) expect(run.dependsOn(`${n}-base`, "membership-guard")).toBe(true);
        expect(JSON.stringify(plain(run.byName("membership-guard").inputs.connection))).toContain("10.0.0.11");
    });

    it("counts what each topology holds a quorum in", () => {
        const env = (config: Record<string, unknown>) => guardEnv(configOf(config));
        const app = { APP_VERSION_WANT: "2.20.15", APP_CONTAINER: "paperless-ha-app", MAJOR_UPGRADE_FROM: "3=2.20.15" };
        expect(env(patroni(3))).toEqual({ FORCE: "0", ETCD_TLS: "/etc/etcd/paperless-ha-tls", ETCD_WANT: "3", VOLUME: "paperless", BRICKS_WANT: "3", ...app });
        // pgactive keeps no quorum of its own; the volume does.
        expect(env(baseConfig(4))).toEqual({ FORCE: "0", VOLUME: "paperless", BRICKS_WANT: "4", ...app });
        expect(env({ ...swarmConfig(5), forceShrink: true })).toEqual({
            FORCE: "1", MANAGERS_WANT: "3", MANAGERS: "node1=10.0.0.11 node2=10.0.0.12 node3=10.0.0.13", NODE_LABEL: "paperless-ha.node",
            FIRST_LABEL: "paperless-ha.first", REPLACE_MANAGERS: "0", ...app, APP_CONTAINER: "paperless-app_paperless-",
        });
        // An image named by no release (latest, a digest) is not checked.
        expect(env({ ...baseConfig(3), app: { image: "ghcr.io/paperless-ngx/paperless-ngx:latest" } })).not.toHaveProperty("APP_VERSION_WANT");
        expect(env({ ...swarmConfig(3), storage: { backend: "glusterfs" } }).REPLACE_MANAGERS).toBe("1");
    });

    // The script itself, against stand-ins for etcdctl, systemctl, gluster and docker on PATH.
    const fakes = (etcdMembers: number, bricks: number, managers: string[] = [], creator = 0, labelledFirst?: number): string => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
        const tool = (name: string, body: string) => fs.writeFileSync(path.join(dir, name), `#!/bin/bash\n${body}\n`, { mode: 0o755 });
        tool("systemctl", "exit 0");
        // docker info / node ls / node inspect, for managers given as "label address [reachability]"
        // as seen from the first (m0); managers[creator] created the swarm, managers[labelledFirst]
        // carries the first node's label.
        if (managers.length) {
            const parsed = managers.map((m) => m.split(" "));
            const list = (f: (m: string[], i: number) => string) => `(${parsed.map((m, i) => `"${f(m, i)}"`).join(" ")})`;
            tool("docker", [
                `labels=${list(([label]) => label)}; addrs=${list(([, addr]) => addr)}; reaches=${list(([, , reach = "reachable"]) => reach)}`,
                `created=${list((_, i) => String(i === creator ? 1000 : 2000 + i))}`,
                'case "$1 $2" in',
                '"info -f") if [ "$3" = "{{.Swarm.NodeID}}" ]; then echo m0; else echo true; fi ;;',
                `"node ls") if [[ "$*" == *node.label=paperless-ha.first* ]]; then ${labelledFirst === undefined ? ":" : `echo m${labelledFirst}`}; else ${managers.map((_, i) => `echo m${i}`).join("; ")}; fi ;;`,
                '"node inspect") fmt=$4; shift 4; for id in "$@"; do i=${id#m}',
                '    case "$fmt" in *CreatedAt*) echo "${created[i]} $id" ;; *Addr*) echo "${labels[i]} ${addrs[i]}:2377 ${reaches[i]}" ;; *Reachability*) echo "${labels[i]} ${reaches[i]}" ;; *) echo "${labels[i]}" ;; esac',
                "done ;;",
                "esac",
            ].join("\n"));
        }
        tool("etcdctl", Array.from({ length: etcdMembers }, (_, i) => `echo "id${i}, started, node${i + 1}, https://10.0.0.1${i}:2380, https://10.0.0.1${i}:2379, false"`).join("\n"));
        tool("gluster", Array.from({ length: bricks }, (_, i) => `echo "Brick${i + 1}: 10.0.0.1${i}:/srv/gluster/paperless/brick"`).join("\n"));
        return dir;
    };
    const guard = (dir: string, env: Record<string, string>) => spawnSync("bash", ["-s"], {
        input: withLib(hostScript("membership-guard")),
        env: { PATH: `${dir}:/usr/bin:/bin`, ETCD_TLS: "/x", VOLUME: "paperless", ...env },
        encoding: "utf8",
    });

    it("reads the release an image tag names", () => {
        expect(imageVersion("ghcr.io/paperless-ngx/paperless-ngx:2.20.15")).toBe("2.20.15");
        expect(imageVersion("registry.local:5000/paperless:v3.0")).toBe("3.0");
        expect(imageVersion("registry.local:5000/paperless")).toBeUndefined();
        expect(imageVersion("paperless:latest")).toBeUndefined();
        expect(imageVersion("paperless:2.20.15@sha256:0123")).toBeUndefined();
    });

    describe("refuses an app image the running Paperless-ngx cannot migrate to", () => {
        // docker ps / inspect / image inspect: one app container running an image labelled `running`.
        const running = (version: string) => {
            const dir = fakes(0, 0);
            fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
case "$1" in ps) echo c1 ;; inspect) echo sha256:img ;; image) echo "${version}" ;; esac
`, { mode: 0o755 });
            return dir;
        };
        const want = (version: string) => ({ APP_VERSION_WANT: version, APP_CONTAINER: "paperless-ha-app", MAJOR_UPGRADE_FROM: "3=2.20.15" });
        it.each([
            ["2.18.4", "3.0.1", "Paperless-ngx 2.18.4 cannot be upgraded straight to 3.0.1: upgrade to 2.20.15 first"],
            ["3.0.1", "2.20.15", "Paperless-ngx 2.20.15 is a major release older than the 3.0.1 running now"],
        ])("%s -> %s", (from, to, message) => {
            const r = guard(running(from), want(to));
            expect(r.status).toBe(1);
            expect(r.stderr).toContain(message);
        });
        it.each([["2.18.4", "2.20.15"], ["2.20.15", "2.20.15"], ["v2.20.15", "2.20.16"], ["", "3.0.1"], ["2.20.15", "3.0.1"]])("lets %s -> %s pass", (from, to) => {
            const r = guard(running(from), want(to));
            expect(r.stderr).toBe("");
            expect(r.status).toBe(0);
        });
    });

    it("says so when the swarm has no leader, after waiting for one", () => {
        const dir = fakes(0, 0, ["node1 10.0.0.11"]);
        fs.writeFileSync(path.join(dir, "docker"), '#!/bin/sh\ncase "$1 $2" in "info -f") echo true ;; *) echo "The swarm does not have a leader" >&2; exit 1 ;; esac\n');
        const r = guard(dir, { MANAGERS_WANT: "3", MANAGERS: "node1=10.0.0.11", LEADER_WAIT: "1" });
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("the swarm has no leader seen from this node");
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

    it("refuses (swarm) a list that drops or readdresses a running manager, forced or not", () => {
        const running = ["node1 10.0.0.11", "node2 10.0.0.12", "node3 10.0.0.13"];
        const swarm = { MANAGERS_WANT: "3", NODE_LABEL: "paperless-ha.node", FORCE: "1" };
        const moved = guard(fakes(0, 0, running), { ...swarm, MANAGERS: "node1=10.0.0.11 node3=10.0.0.13 node4=10.0.0.14" });
        expect(moved.status).toBe(1);
        expect(moved.stderr).toContain("swarm manager node2 at 10.0.0.12 is not among the managers this list asks for");
        expect(moved.stderr).toContain("refusing to move swarm managers");
        const readdressed = guard(fakes(0, 0, running), { ...swarm, MANAGERS: "node1=10.0.0.11 node2=10.0.0.32 node3=10.0.0.13" });
        expect(readdressed.status).toBe(1);
        expect(readdressed.stderr).toContain("swarm manager node2 at 10.0.0.12");
        expect(guard(fakes(0, 0, running), { ...swarm, MANAGERS: "node1=10.0.0.11 node2=10.0.0.12 node3=10.0.0.13" }).status).toBe(0);
        // Growth from one manager, and a manager not yet labelled by an interrupted run: its address decides.
        expect(guard(fakes(0, 0, ["node1 10.0.0.11"]), { ...swarm, MANAGERS: "node1=10.0.0.11 node2=10.0.0.12 node3=10.0.0.13" }).status).toBe(0);
        expect(guard(fakes(0, 0, ["node1 10.0.0.11", " 10.0.0.12"]), { ...swarm, MANAGERS: "node1=10.0.0.11 node2=10.0.0.12 node3=10.0.0.13" }).status).toBe(0);
        expect(guard(fakes(0, 0, ["node1 10.0.0.11", " 10.0.0.19"]), { ...swarm, MANAGERS: "node1=10.0.0.11 node2=10.0.0.12 node3=10.0.0.13" }).status).toBe(1);
    });

    it("refuses (swarm) a list that puts another node first than the swarm's first node", () => {
        // node2 is listed first; node1, the first node, is lost and listed after it.
        const lost = ["node2 10.0.0.12", "node1 10.0.0.11 unreachable", "node3 10.0.0.13"];
        const swarm = { MANAGERS_WANT: "3", NODE_LABEL: "paperless-ha.node", FIRST_LABEL: "paperless-ha.first", MANAGERS: "node2=10.0.0.12 node1=10.0.0.31 node3=10.0.0.13" };
        for (const [creator, labelled] of [[1, 1], [0, 1], [1, undefined]]) {
            const r = guard(fakes(0, 0, lost, creator, labelled), swarm);
            expect(r.status, `${creator} ${labelled}`).toBe(1);
            expect(r.stderr).toContain("node1 is the swarm's first node and must stay first in the list, where node2 is now");
        }
        // The label decides once set (a replaced first node is the swarm's newest); before it, the oldest.
        const labelled = guard(fakes(0, 0, lost, 1, 0), swarm);
        expect(labelled.status, labelled.stderr).toBe(0);
        const oldest = guard(fakes(0, 0, lost, 0), swarm);
        expect(oldest.status, oldest.stderr).toBe(0);
        // A replace of node1 cut off after its new host joined, before it took the label: no reorder.
        const cut = ["node1 10.0.0.31", "node1 10.0.0.11 unreachable", "node2 10.0.0.12", "node3 10.0.0.13"];
        const resumed = guard(fakes(0, 0, cut, 1, 1), { ...swarm, MANAGERS: "node1=10.0.0.31 node2=10.0.0.12 node3=10.0.0.13" });
        expect(resumed.status, resumed.stderr).toBe(0);
        expect(resumed.stderr).toContain("swarm manager node1 at 10.0.0.11 is unreachable: replacing it");
    });

    it("lets (swarm) a lost manager's name take a new address, unless SeaweedFS masters would have to move", () => {
        const lost = ["node1 10.0.0.11", "node2 10.0.0.12 unreachable", "node3 10.0.0.13"];
        const swarm = { MANAGERS_WANT: "3", NODE_LABEL: "paperless-ha.node", MANAGERS: "node1=10.0.0.11 node2=10.0.0.32 node3=10.0.0.13" };
        const replaced = guard(fakes(0, 0, lost), swarm);
        expect(replaced.status, replaced.stderr).toBe(0);
        expect(replaced.stderr).toContain("swarm manager node2 at 10.0.0.12 is unreachable: replacing it");
        const seaweed = guard(fakes(0, 0, lost), { ...swarm, REPLACE_MANAGERS: "0" });
        expect(seaweed.status).toBe(1);
        expect(seaweed.stderr).toContain("with SeaweedFS its master cannot move");
        // Lost is no licence to drop it.
        const dropped = guard(fakes(0, 0, lost), { ...swarm, MANAGERS: "node1=10.0.0.11 node3=10.0.0.13 node4=10.0.0.14" });
        expect(dropped.status).toBe(1);
        expect(dropped.stderr).toContain("swarm manager node2 at 10.0.0.12 is not among the managers");
    });

    it("refuses (swarm) a first node in no swarm while another listed manager runs one, unless that one saw its host lost", async () => {
        const listener = await new Promise<net.Server>((resolve) => {
            const srv = net.createServer((sock) => sock.destroy()).listen(2377, "127.0.0.77", () => resolve(srv));
        });
        try {
            const bare = fs.mkdtempSync(path.join(os.tmpdir(), "guard-"));
            const swarm = { MANAGERS_WANT: "3", NODE_LABEL: "paperless-ha.node" };
            const split = guard(bare, { ...swarm, MANAGERS: "node1=10.0.0.41 node2=127.0.0.77 node3=127.0.0.78" });
            expect(split.status).toBe(1);
            expect(split.stderr).toContain("node1 at 10.0.0.41 is in no swarm, but node2 at 127.0.0.77 runs a swarm manager");
            // Bare hosts: nobody answers.
            expect(guard(bare, { ...swarm, MANAGERS: "node1=127.0.0.76 node2=127.0.0.78 node3=127.0.0.79" }).status).toBe(0);
            // The second manager saw the first node's host lost: the new one joins, unless SeaweedFS.
            const rejoins = guard(bare, { ...swarm, MANAGERS: "node1=10.0.0.41 node2=127.0.0.77 node3=127.0.0.78", FIRST_REJOINS: "1" });
            expect(rejoins.status, rejoins.stderr).toBe(0);
            expect(rejoins.stderr).toContain("node1's host is lost: the new one at 10.0.0.41 joins the running swarm");
            const seaweed = guard(bare, { ...swarm, MANAGERS: "node1=10.0.0.41 node2=127.0.0.77 node3=127.0.0.78", FIRST_REJOINS: "1", REPLACE_MANAGERS: "0" });
            expect(seaweed.status).toBe(1);
            expect(seaweed.stderr).toContain("node1's host is lost, but with SeaweedFS its master cannot move");
        } finally {
            listener.close();
        }
    });
});

describe("swarm: a node taken off the list, or given a new host", () => {
    it("has the first manager drain and remove node4 before node4 leaves the swarm", async () => {
        const before = await runProgram(swarmConfig(4));
        const after = await runProgram(swarmConfig(3));
        const label = before.byName("swarm-node4-label");
        const remove = String((plain(label.inputs) as { delete: string }).delete);
        expect(remove).toContain("NODE_ID='' NODE_LABEL='paperless-ha.node' NODE_NAME='node4'");
        expect(remove).toContain("swarm_cli node rm --force");
        expect(JSON.stringify(plain(label.inputs.connection))).toContain("10.0.0.11");
        // Dependents are deleted first: the manager removes node4, then node4's own join step leaves.
        expect(before.dependsOn("swarm-node4-label", "swarm-node4-join")).toBe(true);
        expect(String((plain(before.byName("swarm-node4-join").inputs) as { delete: string }).delete)).toContain("docker swarm leave --force");
        const gone = before.resources.filter((r) => !after.resources.some((a) => a.type === r.type && a.name === r.name)).map((r) => r.name);
        expect(gone).toContain("swarm-node4-label");
        expect(gone.every((n) => n.includes("node4"))).toBe(true);
    });

    // swarm-label.sh against a stand-in docker whose nodes are given as "id:role:state[:reachability]" and whose
    // tasks on a drained node stop after one look. With FAIL_ONCE set, the first call that starts so fails
    // with FAIL_MSG (a removal takes effect all the same, as one committed after its deadline).
    const labelScript = (nodes: string[], env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "label-"));
        const log = path.join(dir, "log");
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
echo "$*" >> ${log}
[ "$1 $2" != "node rm" ] || echo "\${*: -1}" >> ${dir}/removed
if [ -n "\${FAIL_ONCE:-}" ] && [[ "$*" == "$FAIL_ONCE"* ]] && [ ! -e ${dir}/failed ]; then touch ${dir}/failed; echo "$FAIL_MSG" >&2; exit 1; fi
nodes="${nodes.join(" ")}"
field() { for n in $nodes; do IFS=: read -r id role state reach <<< "$n"; [ "$id" = "$1" ] && echo "$role $state $reach"; done; }
case "$1 $2" in
"info -f") echo true ;;
"node ls") for n in $nodes; do echo "\${n%%:*}"; done ;;
"node inspect") id=\${*: -1}; ! grep -qxF "$id" ${dir}/removed 2>/dev/null || exit 1; read -r role state reach < <(field "$id")
    case "$4" in *Spec.Role*Status.State*) echo "$role $state $reach" ;; *Status.State*) echo "$state" ;; *) echo "$role" ;; esac ;;
"node ps") if grep -q "drain \${*: -1}" ${log}; then echo "Shutdown 1 second ago"; else echo "Running 5 minutes ago"; fi ;;
esac
`, { mode: 0o755 });
        const r = spawnSync("bash", ["-s"], {
            input: withLib(hostScript("swarm-label")),
            env: { PATH: `${dir}:/usr/bin:/bin`, NODE_NAME: "node4", NODE_LABEL: "paperless-ha.node", ...env },
            encoding: "utf8",
            timeout: 20_000,
        });
        return { ...r, calls: fs.readFileSync(log, "utf8").split("\n").filter((l) => l.startsWith("node ") && !/^node (ls|inspect|ps)/.test(l)) };
    };

    it("labels the new host and removes the lost one's entry under the same name", () => {
        const r = labelScript(["new:worker:ready", "old:worker:down"], { NODE_ID: "new\n" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["node update --label-add paperless-ha.node=node4 new", "node rm --force old"]);
    });

    it("demotes and removes a lost manager's entry once its new host is labelled", () => {
        const r = labelScript(["new:manager:ready:reachable", "old:manager:down:unreachable"], { NODE_ID: "new" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["node update --label-add paperless-ha.node=node4 new", "node demote old", "node rm --force old"]);
    });

    it("tries a swarm change again while raft cannot commit it in time, and stops at any other error", () => {
        const nodes = ["new:manager:ready:reachable", "old:manager:down:unreachable"];
        const slow = labelScript(nodes, { NODE_ID: "new", FAIL_ONCE: "node update", FAIL_MSG: "Error response from daemon: rpc error: code = DeadlineExceeded desc = context deadline exceeded" });
        expect(slow.status, slow.stderr).toBe(0);
        expect(slow.calls).toEqual(["node update --label-add paperless-ha.node=node4 new", "node update --label-add paperless-ha.node=node4 new", "node demote old", "node rm --force old"]);
        const bad = labelScript(nodes, { NODE_ID: "new", FAIL_ONCE: "node update", FAIL_MSG: "Error response from daemon: node new not found" });
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain("node new not found");
        expect(bad.calls).toEqual(["node update --label-add paperless-ha.node=node4 new"]);
        // A removal whose first try was committed after all is done.
        const gone = labelScript(nodes, { NODE_ID: "new", FAIL_ONCE: "node rm", FAIL_MSG: "Error response from daemon: node old not found" });
        expect(gone.status, gone.stderr).toBe(0);
        expect(gone.calls.slice(-1)).toEqual(["node rm --force old"]);
    });

    it("drains a worker that left the list until its tasks stop, then removes it; a manager stays", () => {
        const r = labelScript(["w4:worker:ready"], { NODE_ID: "" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["node update --availability drain w4", "node rm --force w4"]);
        const m = labelScript(["m2:manager:ready:reachable"], { NODE_ID: "" });
        expect(m.status, m.stderr).toBe(0);
        expect(m.calls).toEqual([]);
        expect(m.stderr).toContain("is a reachable manager: it leaves with the swarm");
    });

    // swarm-etcd.sh against a stand-in docker whose etcdctl answers through the endpoints in LIVE with MEMBERS;
    // with `patroni`, this node's Patroni container runs (its exec and kill are logged).
    const etcdScript = (env: Record<string, string>, live: string[] = [], members: string[] = [], wal = false, patroni = false, dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-"))) => {
        const log = path.join(dir, "log");
        fs.rmSync(log, { force: true });
        const list = path.join(dir, "members");
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
case "$1" in
    ps) [ "$*" = "ps -qf label=com.docker.swarm.service.name=paperless-db_patroni-node2" ] || exit 2; ${patroni ? "echo c1" : "true"}; exit ;;
    exec|kill) echo "$*" >> ${log}; exit ;;
esac
# Membership changes sign in as etcd's root user, by its certificate.
case " $* " in *" --cert=${dir}/root/root.crt "*) ;; *) echo "not as root: $*" >&2; exit 3 ;; esac
while [ "$1" != "--command-timeout=5s" ]; do shift; done; shift
ep=\${1#--endpoints=}; shift
echo "$*" >> ${log}
case " ${live.join(" ")} " in *" $ep "*) ;; *) exit 1 ;; esac
case "$*" in "member list") cat ${list} ;; "member remove "*) sed -i "/^$3, /d" ${list} ;; esac
`, { mode: 0o755 });
        fs.writeFileSync(list, members.map((m) => `${m}\n`).join(""));
        const data = path.join(dir, "data");
        if (wal) fs.mkdirSync(path.join(data, "member", "wal"), { recursive: true });
        const conf = path.join(dir, "conf");
        const member = { NODE_NAME: "node2", DATA_DIR: data, PEER_URL: "https://10.0.0.32:2380", OTHERS: "https://10.0.0.11:2379 https://10.0.0.13:2379", IMAGE: "etcd", TLS_DIR: "/tls",
            ROOT_DIR: path.join(dir, "root"), ROOT_CERT: "root cert", ROOT_KEY: "root key", ETCD_CONF: "name: node2\ninitial-cluster-state: new\n" };
        const r = spawnSync("bash", ["-s"], {
            input: withLib(hostScript("swarm-etcd")),
            env: { PATH: `${dir}:/usr/bin:/bin`, CONF_DIR: conf, ETCD_HOSTS: "10.0.0.11:2379\n10.0.0.32:2379\n",
                HBA_SOURCES: "10.0.0.11/32\n10.0.0.32/32\n", PATRONI_SERVICE: "paperless-db_patroni-node2", ...member, ...env },
            encoding: "utf8",
        });
        const read = (f: string) => (fs.existsSync(path.join(conf, f)) ? fs.readFileSync(path.join(conf, f), "utf8") : undefined);
        return { ...r, dir, calls: fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [], hosts: read("hosts"), etcd: read("etcd.yml"), hba: read("hba-sources") };
    };

    it("has this node's running Patroni rewrite its config and reload when the nodes pg_hba admits change, and only then", () => {
        const reload = ["exec c1 paperless-ha-patroni --write-config /etc/patroni/base.yml", "kill -s HUP c1"];
        // Before the stack runs there is no Patroni to tell: its entrypoint reads the file.
        const first = etcdScript({ ETCD_CONF: "" });
        expect([first.status, first.hba, first.calls]).toEqual([0, "10.0.0.11/32\n10.0.0.32/32\n", []]);
        const running = etcdScript({ ETCD_CONF: "" }, [], [], false, true, first.dir);
        expect(running.calls).toEqual(reload);
        const again = etcdScript({ ETCD_CONF: "" }, [], [], false, true, first.dir);
        expect(again.calls).toEqual([]);
        const grown = etcdScript({ ETCD_CONF: "", HBA_SOURCES: "10.0.0.11/32\n10.0.0.32/32\n10.0.0.14/32\n" }, [], [], false, true, first.dir);
        expect(grown.stderr).toContain("pg_hba for: 10.0.0.11/32 10.0.0.32/32 10.0.0.14/32");
        expect(grown.calls).toEqual(reload);
    });

    it("starts a first member as new when no other manager answers, and leaves a member with data alone", () => {
        const r = etcdScript({});
        expect(r.status, r.stderr).toBe(0);
        expect(r.etcd).toBe("name: node2\ninitial-cluster-state: new\n");
        expect(r.hosts).toBe("10.0.0.11:2379\n10.0.0.32:2379\n");
        const withData = etcdScript({}, ["https://10.0.0.11:2379"], [], true);
        expect(withData.calls).toEqual([]);
        expect(withData.etcd).toContain("initial-cluster-state: new");
        // A worker writes only the endpoints.
        const worker = etcdScript({ ETCD_CONF: "" });
        expect(worker.status, worker.stderr).toBe(0);
        expect([worker.hosts, worker.etcd, worker.calls]).toEqual(["10.0.0.11:2379\n10.0.0.32:2379\n", undefined, []]);
    });

    it("removes a lost manager's etcd member and adds its new host before it starts, as existing", () => {
        const members = ["a1, started, node1, https://10.0.0.11:2380, https://10.0.0.11:2379, false", "b2, started, node2, https://10.0.0.12:2380, https://10.0.0.12:2379, false"];
        // node1 is down; node3 answers.
        const r = etcdScript({}, ["https://10.0.0.13:2379"], members);
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["member list", "member list", "member remove b2", "member list", "member add node2 --peer-urls=https://10.0.0.32:2380"]);
        expect(r.etcd).toBe("name: node2\ninitial-cluster-state: existing\n");
        expect(fs.statSync(path.join(r.dir, "root", "root.key")).mode & 0o777).toBe(0o600);
        expect(fs.statSync(path.join(r.dir, "root")).mode & 0o777).toBe(0o700);
        // Re-run after the add: nothing more to change.
        const again = etcdScript({}, ["https://10.0.0.13:2379"], [members[0], "c3, unstarted, , https://10.0.0.32:2380, , false"]);
        expect(again.calls).toEqual(["member list", "member list"]);
        expect(again.etcd).toContain("initial-cluster-state: existing");
        // A host rebuilt at the same address has lost its log too: its member goes and comes back.
        const same = etcdScript({ PEER_URL: "https://10.0.0.12:2380" }, ["https://10.0.0.11:2379"], members);
        expect(same.calls).toEqual(["member list", "member remove b2", "member list", "member add node2 --peer-urls=https://10.0.0.12:2380"]);
    });
});

describe("swarm: a new host under the first name", () => {
    it("asks the second manager, before the guard, whether the first node's host was lost; the first node's step joins with its token", async () => {
        const run = await runProgram(swarmConfig(4));
        const rejoin = run.byName("swarm-rejoin");
        expect(JSON.stringify(plain(rejoin.inputs.connection))).toContain("10.0.0.12");
        expect(scriptEnv(run, "swarm-rejoin", ["FIRST_NAME", "FIRST_ADDR", "NODE_LABEL"])).toEqual({ FIRST_NAME: "node1", FIRST_ADDR: "10.0.0.11", NODE_LABEL: "paperless-ha.node" });
        expect(run.dependsOn("membership-guard", "swarm-rejoin")).toBe(true);
        expect(run.dependsOn("swarm-init", "swarm-rejoin")).toBe(true);
        expect(scriptEnv(run, "swarm-init", ["JOIN_ADDR", "FIRST_LABEL"])).toEqual({ JOIN_ADDR: "10.0.0.12:2377", FIRST_LABEL: "paperless-ha.first" });
        // One manager: nobody to rejoin through.
        const single = await runProgram({ ...swarmConfig(3), swarm: { managers: 1 } });
        expect(single.resources.some((r) => r.name === "swarm-rejoin")).toBe(false);
        expect(scriptEnv(single, "swarm-init", ["MANAGER_TOKEN", "JOIN_ADDR"])).toEqual({ MANAGER_TOKEN: "", JOIN_ADDR: "" });
    });

    // swarm-rejoin.sh and swarm-init.sh against a stand-in docker (and curl, for the join API) over
    // nodes given as "id:label:role:address:reachability:state"; LOCAL is this host's swarm state.
    const swarmScript = (script: string, nodes: string[], local: string, env: Record<string, string>) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "swarm-"));
        const log = path.join(dir, "log");
        fs.writeFileSync(path.join(dir, "local"), `${local}\n`);
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
echo "$*" >> ${log}
nodes="${nodes.join(" ")}"
local=$(cat ${dir}/local)
case "$1 $2" in
"info -f") case "$3" in *LocalNodeState*) echo "$local"; [ "$local" != pending ] || echo active > ${dir}/local ;; *NodeID*) echo new ;; *) [ "$local" = active ] && echo true || echo false ;; esac ;;
"swarm init") echo active > ${dir}/local ;;
"swarm join-token") echo "SWMTKN-$4" ;;
"node ls") for n in $nodes; do IFS=: read -r id label _ <<< "$n"; [[ "$*" == *"=$label" ]] && echo "$id"; done ;;
"node inspect") want=\${*: -1}; [ "$want" != self ] || want=new
    for n in $nodes; do IFS=: read -r id _ role addr reach state <<< "$n"; [ "$id" = "$want" ] || continue
    case "$4" in *Spec.Role*) echo "$role $state $reach" ;; *Addr*) echo "$addr:2377 $reach" ;; *) echo "$reach" ;; esac; done ;;
esac
`, { mode: 0o755 });
        // dockerd answers the join at once, or (SLOW_JOIN) gives up waiting while it goes on in the background.
        fs.writeFileSync(path.join(dir, "curl"), `#!/bin/bash\necho "curl $(cat)" >> ${log}
if [ -n "\${SLOW_JOIN:-}" ]; then echo pending > ${dir}/local; printf '{"message":"Timeout was reached before node joined."}\\n503'
else echo active > ${dir}/local; printf '\\n200'; fi\n`, { mode: 0o755 });
        const r = spawnSync("bash", ["-s"], {
            input: withLib(hostScript(script)),
            env: { PATH: `${dir}:/usr/bin:/bin`, NODE_LABEL: "paperless-ha.node", ...env },
            encoding: "utf8",
            timeout: 20_000,
        });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter((l) => l && !/^(info|node ls|node inspect|node ps)/.test(l)) : [];
        return { ...r, calls };
    };
    const rejoin = (nodes: string[], local = "active") => swarmScript("swarm-rejoin", nodes, local, { FIRST_NAME: "node1", FIRST_ADDR: "10.0.0.31" });

    it("hands out a manager token only when the manager under the first name is unreachable at another address", () => {
        const lost = rejoin(["a:node1:manager:10.0.0.11:unreachable:down", "b:node2:manager:10.0.0.12:reachable:ready"]);
        expect(lost.status, lost.stderr).toBe(0);
        expect(lost.stdout).toBe("SWMTKN-manager\n");
        expect(lost.stderr).toContain("node1's host at 10.0.0.11 is lost: its new host at 10.0.0.31 joins the swarm as a manager");
        // In place (also once the new host joined, with the lost entry still there): nothing.
        const inPlace = rejoin(["a:node1:manager:10.0.0.11:unreachable:down", "n:node1:manager:10.0.0.31:reachable:ready"]);
        expect([inPlace.status, inPlace.stdout]).toEqual([0, ""]);
        // Bare hosts: no swarm on the second manager yet.
        expect([rejoin([], "inactive").status, rejoin([], "inactive").stdout]).toEqual([0, ""]);
        // The old host still answers: a first node moves only when its host is gone.
        const alive = rejoin(["a:node1:manager:10.0.0.11:reachable:ready"]);
        expect(alive.status).toBe(1);
        expect(alive.stdout).toBe("");
        expect(alive.stderr).toContain("its swarm manager at 10.0.0.11 still answers");
    });

    const init = (nodes: string[], local: string, token: string) => swarmScript("swarm-init", nodes, local,
        { ADVERTISE_ADDR: "10.0.0.31", NODE_NAME: "node1", FIRST_LABEL: "paperless-ha.first", MANAGER_TOKEN: token, JOIN_ADDR: "10.0.0.12:2377" });

    it("joins a new first host with the token, labels it first and lets go of the lost host's entry", () => {
        const nodes = ["a:node1:manager:10.0.0.11:unreachable:down", "new:node1:manager:10.0.0.31:reachable:ready"];
        const r = init(nodes, "inactive", "SWMTKN-manager\n");
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual([
            'curl {"ListenAddr":"10.0.0.31:2377","AdvertiseAddr":"10.0.0.31","RemoteAddrs":["10.0.0.12:2377"],"JoinToken":"SWMTKN-manager"}',
            "node update --label-add paperless-ha.node=node1 --label-add paperless-ha.first=true new",
            "node demote a", "node rm --force a",
            "swarm join-token -q manager", "swarm join-token -q worker",
        ]);
        expect(JSON.parse(r.stdout)).toEqual({ manager: "SWMTKN-manager", worker: "SWMTKN-worker" });
        expect(r.stderr).toContain("node1 joined the swarm through 10.0.0.12:2377");
        // A join that outlasts dockerd's wait goes on in the background: the step waits for it.
        const slow = swarmScript("swarm-init", nodes, "inactive", { ADVERTISE_ADDR: "10.0.0.31", NODE_NAME: "node1", FIRST_LABEL: "paperless-ha.first",
            MANAGER_TOKEN: "SWMTKN-manager", JOIN_ADDR: "10.0.0.12:2377", SLOW_JOIN: "1" });
        expect(slow.status, slow.stderr).toBe(0);
        expect(slow.stderr).toContain("Timeout was reached before node joined.");
        expect(slow.stderr).not.toContain("SWMTKN");
        // Re-run once joined: no second join.
        expect(init(nodes.slice(1), "active", "SWMTKN-manager").calls.filter((c) => /^(curl|swarm init|node (demote|rm))/.test(c))).toEqual([]);
    });

    it("creates the swarm without a token, and refuses a half-joined state", () => {
        const r = init([], "inactive", "");
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls[0]).toBe("swarm init --advertise-addr 10.0.0.31 --listen-addr 10.0.0.31:2377");
        expect(r.calls).toContain("node update --label-add paperless-ha.node=node1 --label-add paperless-ha.first=true new");
        const pending = init([], "pending", "");
        expect(pending.status).toBe(1);
        expect(pending.stderr).toContain("swarm state on node1 is 'pending'");
    });
});
