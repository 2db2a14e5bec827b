/**
 * The classic topology on three real test hosts, deployed by the real program through the test
 * engine, and checked by looking at the hosts. Order matters: each step builds on the last.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engine, EngineRun, onHost, request, sandbox, SANDBOX, sandboxHosts, SandboxHost, saveFigures, stackFile, stateSecret } from "./hosts";

const STACK = "classic";
let hosts: SandboxHost[];
let first: EngineRun;
let grown: EngineRun;
let ca: string;
let grownStack: string;
const uploaded = { id: 0, sha256: "" };
const timings: Record<string, number> = {};

function report(name: string, seconds: number) {
    timings[name] = Math.round(seconds * 10) / 10;
}

beforeAll(async () => {
    const t = Date.now();
    await sandbox("down");
    // Fresh hosts, fresh state: nothing the engine remembers may outlive the hosts it describes.
    fs.rmSync(path.join(SANDBOX, "e2e"), { recursive: true, force: true });
    await sandbox("up", "--nodes", "3");
    hosts = sandboxHosts();
    report("sandbox up", (Date.now() - t) / 1000);
});

afterAll(async () => {
    saveFigures("classic", timings);
    // The hosts go with the suite; KEEP_SANDBOX=1 leaves them for a look.
    if (process.env.KEEP_SANDBOX !== "1") await sandbox("down");
});

describe("classic with Patroni, from bare hosts", () => {
    beforeAll(async () => {
        first = await engine("up", STACK);
        report("deploy", first.summary.seconds);
        ca = String(first.summary.outputs.caCertificate);
    });

    it("deploys without a failure", () => {
        expect(first.summary.failed, first.output.slice(-3000)).toEqual([]);
        expect(first.code).toBe(0);
        expect(first.summary.created.length).toBeGreaterThan(60);
    });

    it("mounts one replica-3 volume on every node: a file written on node1 is read on node3", () => {
        const info = onHost(hosts[0].address, "gluster volume info paperless");
        expect(info).toMatch(/Number of Bricks: 1 x 3 = 3/);
        expect(info).toMatch(/Status: Started/);
        for (const h of hosts) expect(onHost(h.address, "findmnt -n -o FSTYPE /mnt/paperless")).toBe("fuse.glusterfs");
        const token = crypto.randomBytes(8).toString("hex");
        onHost(hosts[0].address, `echo ${token} > /mnt/paperless/export/e2e-${token}`);
        expect(onHost(hosts[2].address, `cat /mnt/paperless/export/e2e-${token}`)).toBe(token);
    });

    it("runs one Patroni leader with a synchronous standby, over TLS, with the rendered settings", async () => {
        // Patroni names its synchronous standby on a later HA loop; give it a bounded while.
        let list: { Role: string; State: string; Host: string }[] = [];
        for (let i = 0; i < 30; i++) {
            list = JSON.parse(onHost(hosts[0].address, "patronictl -c /etc/patroni/config.yml list -f json"));
            if (list.some((m) => m.Role === "Sync Standby")) break;
            await new Promise((r) => setTimeout(r, 2000));
        }
        const roles = list.map((m) => m.Role).sort();
        expect(roles.filter((r) => r === "Leader")).toHaveLength(1);
        expect(roles).toContain("Sync Standby");
        expect(list.every((m) => ["running", "streaming"].includes(m.State))).toBe(true);
        const leader = list.find((m) => m.Role === "Leader")!.Host;
        const show = (q: string) => onHost(leader, `runuser -u postgres -- psql -qtAX -c "${q}"`);
        expect(show("SHOW ssl")).toBe("on");
        expect(show("SHOW password_encryption")).toBe("scram-sha-256");
        expect(show("SHOW synchronous_standby_names")).not.toBe("");
        expect(Number(show("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"))).toBe(2);
        // Replication and app connections arrive encrypted.
        expect(show("SELECT bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_replication USING (pid)")).toBe("t");
    });

    it("shares one Redis among all instances and runs exactly one consumer and one scheduler", () => {
        const redis = hosts.map((h) => onHost(h.address, "docker ps --format '{{.Names}}' | grep -c paperless-ha-redis || true"));
        expect(redis.map(Number).reduce((a, b) => a + b, 0)).toBe(1);
        const roles = hosts.map((h) => JSON.parse(onHost(hosts[0].address, `curl -fsS http://${h.address}:8000/api/ha/`)));
        expect(roles.map((r) => r.node).sort()).toEqual(["node1", "node2", "node3"]);
        expect(roles.filter((r) => r.consumer)).toHaveLength(1);
        expect(roles.filter((r) => r.scheduler)).toHaveLength(1);
        const urls = hosts.map((h) => onHost(h.address, "docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' paperless-ha-app | grep '^PAPERLESS_REDIS=' | sha256sum"));
        expect(new Set(urls).size).toBe(1);
    });

    it("serves through HAProxy on every node and keeps the app ports closed to the outside", async () => {
        for (const h of hosts) {
            const r = await request(`https://${h.address}/api/ha/`, ca);
            expect(r.status).toBe(200);
            expect((await request(`https://${h.address}/api/`, ca)).status).toBe(401);
        }
        // Port 8000 answers the other nodes only (this machine is not a node).
        const direct = await fetch(`http://${hosts[0].address}:8000/api/ha/`, { signal: AbortSignal.timeout(3000) }).then(() => "open", () => "closed");
        expect(direct).toBe("closed");
    });

    it("stores a document uploaded on node2 so node3 serves the same bytes, on every brick", async () => {
        const auth = `admin:${stateSecret(STACK, "secrets-admin", "result")}`;
        const body = crypto.randomBytes(64 * 1024);
        const up = await request(`https://${hosts[1].address}/api/documents/post_document/`, ca, { method: "POST", auth, body, headers: { "X-Title": "e2e" } });
        expect(up.status).toBe(200);
        const { id } = JSON.parse(up.body.toString());
        const down = await request(`https://${hosts[2].address}/api/documents/${id}/download/`, ca, { auth });
        expect(down.status).toBe(200);
        expect(down.body.equals(body)).toBe(true);
        const sum = crypto.createHash("sha256").update(body).digest("hex");
        Object.assign(uploaded, { id, sha256: sum });
        const file = `/srv/gluster/paperless/brick/media/documents/originals/${String(id).padStart(7, "0")}.pdf`;
        for (const h of hosts) expect(onHost(h.address, `sha256sum ${file} | cut -d' ' -f1`)).toBe(sum);
    });

    it("grows to four nodes: the new node joins everything, existing nodes only learn of it", async () => {
        await sandbox("up", "--nodes", "4");
        hosts = sandboxHosts();
        grownStack = stackFile("grown", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as object[]), { name: "node4", address: hosts[3].address }];
        });
        grown = await engine("up", STACK, grownStack);
        report("grow 3->4", grown.summary.seconds);
        report("grow 3->4 changes", grown.summary.created.length + grown.summary.updated.length);
        expect(grown.summary.failed, grown.output.slice(-3000)).toEqual([]);
        expect(grown.summary.replaced).toEqual([]);
        expect(grown.summary.deleted).toEqual([]);
        expect(grown.summary.created.filter((n) => !n.includes("node4"))).toEqual([]);
        const membership = new Set([
            ...["node1", "node2", "node3"].flatMap((n) => [`${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-etcd`, `db-${n}-patroni`, `edge-${n}-haproxy`]),
            "gluster-volume", "db-bootstrap",
        ]);
        expect(grown.summary.updated.filter((n) => !membership.has(n))).toEqual([]);

        const node4 = hosts[3].address;
        const etcd = onHost(node4, "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/etcd/paperless-ha-tls/ca.crt " +
            "--cert=/etc/etcd/paperless-ha-tls/node.crt --key=/etc/etcd/paperless-ha-tls/node.key member list");
        expect(etcd.split("\n").filter((l) => l.includes(", started, "))).toHaveLength(4);
        const members = JSON.parse(onHost(node4, "patronictl -c /etc/patroni/config.yml list -f json")) as { Role: string; Member: string }[];
        expect(members.map((m) => m.Member).sort()).toEqual(["node1", "node2", "node3", "node4"]);
        expect(members.filter((m) => m.Role === "Leader")).toHaveLength(1);
        expect(onHost(node4, "gluster volume info paperless")).toMatch(/Number of Bricks: 1 x 4 = 4/);

        // The new node serves documents stored before it existed; self-heal fills its brick.
        const auth = `admin:${stateSecret(STACK, "secrets-admin", "result")}`;
        const down = await request(`https://${node4}/api/documents/${uploaded.id}/download/`, ca, { auth });
        expect(down.status).toBe(200);
        expect(crypto.createHash("sha256").update(down.body).digest("hex")).toBe(uploaded.sha256);
        const file = `/srv/gluster/paperless/brick/media/documents/originals/${String(uploaded.id).padStart(7, "0")}.pdf`;
        let onBrick = "";
        for (let i = 0; i < 30 && onBrick !== uploaded.sha256; i++) {
            onBrick = onHost(node4, `sha256sum ${file} 2>/dev/null | cut -d' ' -f1`);
            if (onBrick !== uploaded.sha256) await new Promise((r) => setTimeout(r, 2000));
        }
        expect(onBrick).toBe(uploaded.sha256);
    });

    it("changes nothing on a second run", async () => {
        const again = await engine("up", STACK, grownStack);
        report("no-op re-run", again.summary.seconds);
        expect(again.code).toBe(0);
        expect({ ...again.summary, seconds: 0, outputs: {} }).toMatchObject({ created: [], updated: [], replaced: [], deleted: [], failed: [] });
        expect(again.summary.unchanged).toBe(first.summary.created.length + grown.summary.created.length);
    });

    it("destroys everything it made and sets the documents and database files aside, kept", async () => {
        const down = await engine("destroy", STACK);
        report("destroy", down.summary.seconds);
        expect(down.summary.failed).toEqual([]);
        expect(down.code).toBe(0);
        for (const h of hosts) {
            expect(onHost(h.address, "docker ps -a --format '{{.Names}}' | grep -c paperless-ha || true")).toBe("0");
            expect(onHost(h.address, "systemctl is-active patroni etcd haproxy || true").split("\n").every((s) => s !== "active")).toBe(true);
            expect(onHost(h.address, "findmnt -n /mnt/paperless || echo unmounted")).toBe("unmounted");
            expect(onHost(h.address, "grep -c 'paperless' /etc/fstab || true")).toBe("0");
            expect(onHost(h.address, "grep -c 'paperless-ha' /etc/hosts || true")).toBe("0");
            expect(onHost(h.address, "nft list table inet paperless_ha >/dev/null 2>&1 && echo present || echo gone")).toBe("gone");
            expect(onHost(h.address, "ls /srv/gluster/paperless/brick.retained-*/media/documents/originals | wc -l")).not.toBe("0");
            expect(onHost(h.address, "ls -d /var/lib/postgresql/15/paperless-ha.retained-*/PG_VERSION | wc -l")).toBe("1");
        }
    });
});

describe("classic with pgactive, which cannot be obtained here (on the same hosts, after destroy)", () => {
    it("stops at the extension step on every node with a clear message, nothing half-configured", async () => {
        const file = stackFile("pgactive", (c) => {
            c["paperless-ha:database"] = { engine: "pgactive", pgactive: { install: "none" } };
        });
        const run = await engine("up", "pgactive", file);
        report("pgactive attempt", run.summary.seconds);
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.name).sort(), JSON.stringify(run.summary.failed, null, 1).slice(0, 3000))
            .toEqual(["db-node1-pgactive", "db-node2-pgactive", "db-node3-pgactive"]);
        for (const f of run.summary.failed) {
            expect(f.error).toMatch(new RegExp(`pgactive is not installed on ${f.name.split("-")[1]}`));
        }
        // Nothing after the extension step ran: PostgreSQL keeps the distribution's settings.
        for (const h of hosts) {
            expect(onHost(h.address, "ls /etc/postgresql/15/main/conf.d/ 2>/dev/null | grep -c paperless-ha || true")).toBe("0");
            expect(onHost(h.address, "docker ps -a --format '{{.Names}}' | grep -c paperless-ha-app || true")).toBe("0");
        }
        const down = await engine("destroy", "pgactive");
        expect(down.code).toBe(0);
        expect(down.summary.failed).toEqual([]);
    });
});
