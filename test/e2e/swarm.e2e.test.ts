/**
 * The swarm topology on real test hosts, deployed by the real program through the test engine and
 * checked by looking at the hosts: Patroni failover with RTO and RPO measured, Paperless on every
 * node, growth to a fourth host, the loss and replacement of that worker, then of the manager node2,
 * then of the first node, the shrink back to three, destroy. No sandbox image runs SeaweedFS yet
 * (see README), so these hosts run the swarm on the GlusterFS backend. Order matters.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { shellQuote } from "../../components/host/quote";
import { callers, expectedCallers, outsiderView } from "./apiAuth";
import { Call, content, onNode, original, sample, scannedPdf, search, searchAll, sha256, store, textPdf, uniquePng, uniqueWord, viaBalancer } from "./documents";
import { scanForLeaks } from "./leakScan";
import { databaseWriter, engine, EngineRun, freshHosts, healedOnBrick, holders, noneActive, onHost, promExpect, promotedAt, redisMasterVia, request, sandbox, sandboxHosts, SandboxHost, saveFigures, stackFile, stateBesidesChecks, stateSecret, statusReport, stepSpan, virtualAddressOf, writeGaps } from "./hosts";

const STACK = "swarm";
/** The 2.20.15 build labelled 3.0.0: a stand-in for a 3.x release, which cannot be had here. */
const MAJOR_REHEARSAL_IMAGE = "paperless-ha/paperless-major-rehearsal:3.0.0";
let hosts: SandboxHost[];
let first: EngineRun;
let grown: EngineRun;
let baseStack: string;
let grownStack: string;
const uploaded = { id: 0, sha256: "" };
/** Documents stored while node4 was lost; read back after its replacement and after the shrink. */
const storedWhileLost = { id: 0, sha256: "" };
/** One stored while the manager node2 was lost. */
const storedWhileManagerLost = { id: 0, sha256: "" };
/** One stored through node1's new host. */
const storedThroughNewFirst = { id: 0, sha256: "" };
const figures: Record<string, number> = {};
const report = (name: string, value: number) => { figures[name] = Math.round(value * 10) / 10; };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Member { Member: string; Host: string; Role: string; State: string }

/** patronictl as seen from one node's Patroni container. */
function members(via: SandboxHost): Member[] {
    return JSON.parse(onHost(via.address, `docker exec $(docker ps -qf name=paperless-db_patroni-${via.name}) patronictl -c /etc/patroni/patroni.yml list -f json`));
}

/** Wait, bounded, until Patroni shows `count` running members, one leader and a sync standby, and the leader streams to every replica. */
async function healthyPatroni(via: SandboxHost, count: number, seconds = 180): Promise<Member[]> {
    let list: Member[] = [];
    let streaming = "";
    for (let t = Date.now(); Date.now() - t < seconds * 1000; await sleep(3000)) {
        try {
            list = members(via);
            const ok = list.length === count && list.filter((m) => m.Role === "Leader").length === 1 &&
                list.some((m) => m.Role === "Sync Standby") && list.every((m) => ["running", "streaming"].includes(m.State));
            if (!ok) continue;
            const leader = hosts.find((h) => h.name === list.find((m) => m.Role === "Leader")!.Member)!;
            streaming = onHost(leader.address, `docker exec $(docker ps -qf name=paperless-db_patroni-${leader.name}) ` +
                "runuser -u postgres -- psql -qtAX -c \"SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid) WHERE r.state = 'streaming' AND s.ssl\" 2>/dev/null || true");
            if (streaming === String(count - 1)) return list;
        } catch { /* a member may be restarting */ }
    }
    throw new Error(`Patroni not healthy after ${seconds}s: ${JSON.stringify(list)} streaming=${streaming}`);
}

/** SQL as the application role through one node's PgBouncer; the password travels on stdin. */
function sqlThroughPgbouncer(via: SandboxHost, sql: string): string {
    return onHost(via.address, `read -r PGPASSWORD; export PGPASSWORD; docker exec -i -e PGPASSWORD $(docker ps -qf name=paperless-db_patroni-${via.name}) ` +
        `psql "host=127.0.0.1 port=6432 dbname=paperless user=paperless connect_timeout=5" -qtAX -c "${sql}"`,
    `${stateSecret(STACK, "secrets-db-app", "result")}\n`);
}

const adminAuth = () => `admin:${stateSecret(STACK, "secrets-admin", "result")}`;
/** Paperless's API through a node's HTTPS edge, as the admin. */
const app = (h: SandboxHost): Call => viaBalancer(h.address, stateSecret(STACK, "pki-ca", "certPem"), adminAuth());
/** The API of a node's own instance (its search reads that node's index), as the admin. */
const instance = (h: SandboxHost): Call => onNode(h.address, adminAuth());
/** Every document downloads through `h` byte for byte as uploaded. */
async function expectServed(h: SandboxHost, docs: { id: number; sha256: string }[]) {
    for (const d of docs) expect(sha256(await original(app(h), d.id))).toBe(d.sha256);
}
/** The Paperless container of the app stack on a node (its task's container). */
const appContainer = "$(docker ps -qf name=paperless-app_paperless-)";
/** Lose hosts[index] for good: a fresh host starts under its name at a new address. */
async function loseHost(index: number): Promise<{ lost: string; fresh: SandboxHost }> {
    const lost = hosts[index].address;
    await sandbox("replace", hosts[index].name, "--swarm");
    hosts = sandboxHosts();
    expect(hosts[index].address).not.toBe(lost);
    return { lost, fresh: hosts[index] };
}

/** A document uploaded through `via` and consumed, retried (bounded) while the cluster settles after a host's loss. */
async function storeThrough(via: SandboxHost, title: string): Promise<{ id: number; sha256: string }> {
    let last = "";
    for (let i = 0; i < 20; i++, await sleep(3000)) {
        try {
            return await store(app(via), textPdf(`${title} ${uniqueWord()}`));
        } catch (e) {
            last = (e as Error).message;
        }
    }
    throw new Error(`no document stored through ${via.name} (${title}) in 20 tries: ${last}`);
}
/** Wait, bounded, until the manager `via` sees the manager at `lost` unreachable: only then may its name move. */
async function seenUnreachable(via: SandboxHost, lost: string): Promise<void> {
    const reach = () => onHost(via.address, `docker node inspect -f '{{.Status.Addr}} {{.ManagerStatus.Reachability}}' $(docker node ls -q --filter role=manager) | grep '^${lost} ' || true`);
    for (let i = 0; i < 30 && reach() !== `${lost} unreachable`; i++) await sleep(2000);
    expect(reach()).toBe(`${lost} unreachable`);
}

/**
 * Converge with every host at its address now, the manager `name`'s host replaced (`via`: another
 * manager): nothing created or deleted, only its own resources, the router's config and
 * `alsoReplaced` made again; etcd lists the three managers started at their addresses now, Patroni
 * four healthy members with `name` at its new address, and no other etcd or Patroni task restarted.
 */
async function replaceManager(name: string, via: SandboxHost, figure: string, alsoReplaced: string[] = []): Promise<void> {
    const others = [...hosts.slice(0, 3).map((h) => `etcd-${h.name}`), ...hosts.map((h) => `patroni-${h.name}`)]
        .filter((s) => !s.endsWith(`-${name}`)).map((s) => `paperless-db_${s}`);
    const tasks = () => onHost(via.address, `docker service ps -q --no-trunc --filter desired-state=running ${others.join(" ")} | sort`);
    const before = tasks();
    grownStack = stackFile(`swarm-${name}-replaced`, (c) => {
        c["paperless-ha:nodes"] = hosts.map((h) => ({ name: h.name, address: h.address }));
    }, "swarm");
    const run = await engine("up", STACK, grownStack);
    report(figure, run.summary.seconds);
    expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
    expect(run.summary.created).toEqual([]);
    expect(run.summary.deleted).toEqual([]);
    expect(run.summary.replaced.filter((n) => !n.includes(name) && n !== "paperless-db-config-router" && !alsoReplaced.includes(n))).toEqual([]);

    const etcd = () => onHost(via.address, `docker exec $(docker ps -qf name=paperless-db_etcd-${via.name}) etcdctl --endpoints=https://${via.address}:2379 ` +
        "--cacert=/etc/paperless-ha/tls/ca.crt --cert=/etc/paperless-ha/tls/node.crt --key=/etc/paperless-ha/tls/node.key member list").split("\n");
    let list: string[] = [];
    for (let i = 0; i < 30; i++, await sleep(2000)) {
        try {
            list = etcd();
            if (list.length === 3 && list.every((m) => m.includes(", started, "))) break;
        } catch { /* a member is starting */ }
    }
    expect(list.map((m) => m.split(", ").slice(1, 4).join(" ")).sort()).toEqual(
        hosts.slice(0, 3).map((h) => `started ${h.name} https://${h.address}:2380`));
    const patroni = await healthyPatroni(via, 4, 240);
    expect(patroni.find((m) => m.Member === name)?.Host).toBe(hosts.find((h) => h.name === name)!.address);
    expect(tasks()).toBe(before);
}

/** The volume holds `fresh`'s new brick and not the lost one's, and every document heals onto it and downloads through it. */
async function expectBrickAndDocuments(fresh: SandboxHost, lost: string, docs: { id: number; sha256: string }[]): Promise<void> {
    const volume = onHost(fresh.address, "gluster volume info paperless");
    expect(volume).toMatch(/Number of Bricks: 1 x 4 = 4/);
    expect(volume).toContain(`${fresh.address}:`);
    expect(volume).not.toContain(`${lost}:`);
    for (const doc of docs) expect(await healedOnBrick(fresh.address, doc, 60)).toBe(doc.sha256);
    await expectServed(fresh, docs);
}

beforeAll(async () => {
    const fresh = await freshHosts("--nodes", "3", "--swarm");
    hosts = fresh.hosts;
    report("sandbox up", fresh.seconds);
    baseStack = stackFile("swarm", () => undefined, "swarm");
});

afterAll(async () => {
    saveFigures("swarm", figures);
    if (process.env.KEEP_SANDBOX !== "1") await sandbox("down");
});

describe("swarm on three bare hosts", () => {
    beforeAll(async () => {
        first = await engine("up", STACK, baseStack);
        report("deploy", first.summary.seconds);
    });

    it("deploys without a failure", () => {
        expect(first.summary.failed, first.output.slice(-4000)).toEqual([]);
        expect(first.code).toBe(0);
    });

    it("forms a swarm of three managers where every service runs all its tasks", () => {
        const nodes = onHost(hosts[0].address, "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'").split("\n").sort();
        expect(nodes).toHaveLength(3);
        expect(nodes.every((l) => / Ready (Leader|Reachable)$/.test(l)), nodes.join("\n")).toBe(true);
        const services = onHost(hosts[0].address, "docker service ls --format '{{.Name}} {{.Replicas}}'").split("\n");
        expect(services.length).toBe(12);
        for (const s of services) {
            const [, replicas] = s.split(" ");
            const [running, wanted] = replicas.split("/");
            expect(running, s).toBe(wanted);
        }
        // Redis and Sentinel run on the hosts, as on classic: node1's is the master every route reaches.
        expect(hosts.map((h) => onHost(h.address, "systemctl is-active redis-server@paperless-ha redis-sentinel@paperless-ha").split("\n").join(" ")))
            .toEqual(hosts.map(() => "active active"));
        const redisPassword = stateSecret(STACK, "secrets-redis", "result");
        expect(hosts.map((h) => redisMasterVia(h.address, redisPassword))).toEqual(hosts.map(() => hosts[0].address));
    });

    it("runs one Patroni leader, a synchronous standby and streaming replicas; PgBouncer writes reach the leader", async () => {
        const list = await healthyPatroni(hosts[0], 3);
        const leader = list.find((m) => m.Role === "Leader")!;
        for (const h of hosts) {
            expect(sqlThroughPgbouncer(h, "SELECT inet_server_addr()::text || ' ' || pg_is_in_recovery()")).toBe(`${leader.Host}/32 false`);
        }
        const metrics = onHost(hosts[1].address, "curl -fsS localhost:9187/metrics | grep '^pg_up '");
        expect(metrics).toBe("pg_up 1");
    });

    it("serves Paperless only through each node's HTTPS edge, which refuses a forged Host; port 8000 stays closed to the outside", async () => {
        const ca = stateSecret(STACK, "pki-ca", "certPem");
        const vip = virtualAddressOf("swarm");
        expect(first.summary.outputs.appUrl).toBe(`https://${vip}/`);
        // The cluster's one address: one node holds it, with a certificate for it.
        expect(holders(hosts, vip)).toHaveLength(1);
        expect((await request(`https://${vip}/api/documents/?page_size=1`, ca, { auth: adminAuth() })).status).toBe(200);
        for (const h of hosts) {
            expect((await request(`https://${h.address}/api/documents/?page_size=1`, ca, { auth: adminAuth() })).status).toBe(200);
            expect((await fetch(`http://${h.address}/api/`, { redirect: "manual", signal: AbortSignal.timeout(10_000) })).status).toBe(301);
        }
        expect(await outsiderView(hosts[0].address, ca, adminAuth())).toEqual({ forgedHost: 400, appPort: "closed" });
    });

    it("asks every caller of Patroni's REST API and of the Docker API who it is; only what serves TLS holds the node's key", () => {
        const [n1, n2] = hosts.map((h) => h.address);
        expect(callers(STACK, n1, n2)).toEqual(expectedCallers(n2));
        // Mounts of every container on a node: only etcd and Patroni, which serve TLS, see the key's directory.
        const mounts = onHost(n1, "for c in $(docker ps -q); do echo \"$(docker inspect -f '{{.Name}} {{range .Mounts}}{{.Source}},{{end}}' \"$c\")\"; done").split("\n");
        const withKey = mounts.filter((m) => m.includes("/etc/paperless-ha/tls,")).map((m) => m.split(" ")[0].replace(/^\/paperless-db_([a-z]+)-node1\..*$/, "$1")).sort();
        expect(withKey).toEqual(["etcd", "patroni"]);
        // pg_hba admits remote logins from the nodes only.
        const hba = onHost(n1, "docker exec $(docker ps -qf label=com.docker.swarm.service.name=paperless-db_patroni-node1) cat /var/lib/postgresql/paperless-ha/data/pg_hba.conf");
        const sources = new Set(hba.split("\n").filter((l) => l.startsWith("hostssl")).map((l) => l.split(/\s+/)[3]));
        expect([...sources].sort()).toEqual(["127.0.0.1/32", ...hosts.map((h) => `${h.address}/32`)].sort());
    });

    it("exports every node's metrics to the Prometheus on node1: database roles, mounts, bricks, app", async () => {
        const prometheus = (first.summary.outputs.metrics as { prometheus: string }).prometheus;
        const expected = {
            'count(up{job="node"} == 1)': "3",
            'count(up{job="postgres"} == 1)': "3",
            "count(paperless_ha_swarm_active == 1)": "3",
            "count(paperless_ha_db_up == 1)": "3",
            "count(paperless_ha_db_replication_ok == 1)": "3",
            "sum(paperless_ha_db_writable)": "1",
            "count(paperless_ha_storage_mounted == 1)": "3",
            "count(paperless_ha_app_up == 1)": "3",
            "max(paperless_ha_storage_split_brain)": "0",
        };
        const t = Date.now();
        expect(await promExpect(prometheus, expected)).toEqual(expected);
        report("metrics all in (s)", (Date.now() - t) / 1000);
    });

    it("consumes real documents through every node's HTTPS edge, OCR'd ones too, with one consumer and one schedule, media on the shared volume", async () => {
        const consumers = hosts.map((h) => Number(onHost(h.address, `docker top ${appContainer} -eo pid,args | grep -c '[m]anage.py document_consumer' || true`)));
        expect(consumers).toEqual([1, 0, 0]);
        const schedule = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'paperless.settings'); " +
            "from django.conf import settings; print(len(settings.CELERY_BEAT_SCHEDULE))";
        expect(hosts.map((h) => onHost(h.address, `docker exec ${appContainer} python3 -c "${schedule}" 2>/dev/null | tail -n 1`))).toEqual(["6", "0", "0"]);

        const word = uniqueWord();
        const docs = { text: textPdf(`Invoice ${word} from the swarm`), scanned: scannedPdf(sample("simple.jpg")), image: uniquePng(sample("simple.png")) };
        const stored: Record<string, { id: number; sha256: string; seconds: number }> = {};
        for (const [kind, d] of Object.entries(docs)) {
            stored[kind] = await store(app(hosts[1]), d);
            report(`upload to consumed, ${kind} (s)`, stored[kind].seconds);
        }
        // Search runs on each node's own index (the node whose worker consumed a document has it).
        const nodes = hosts.map(instance);
        expect(await searchAll(nodes, word)).toEqual([stored.text.id]);
        for (const kind of ["scanned", "image"]) expect((await content(app(hosts[2]), stored[kind].id)).toLowerCase()).toContain("this is a test document");
        expect(await searchAll(nodes, "test")).toEqual([stored.scanned.id, stored.image.id].sort((a, b) => a - b));
        await expectServed(hosts[0], Object.values(stored));
        Object.assign(uploaded, { id: stored.text.id, sha256: stored.text.sha256 });
        const file = `/mnt/paperless/media/documents/originals/${String(uploaded.id).padStart(7, "0")}.pdf`;
        for (const h of hosts) expect(onHost(h.address, `sha256sum ${file} | cut -d' ' -f1`)).toBe(uploaded.sha256);
    });

    it("backs up through the singleton's PgBouncer, and a restore after the data is destroyed brings back every document and row", async () => {
        const docs = [{ ...uploaded }];
        for (const h of hosts) docs.push(await store(app(h), textPdf(`drill ${h.name} ${uniqueWord()}`)));
        const rows = () => sqlThroughPgbouncer(hosts[1], "SELECT count(*) || ' ' || md5(string_agg(id || ':' || checksum, ',' ORDER BY id)) FROM documents_document");
        const downloads = async () => Promise.all(docs.map(async (d, i) => sha256(await original(app(hosts[i % hosts.length]), d.id))));
        const before = rows();
        // The three of the first upload and the three of this drill.
        expect(before.startsWith(`${docs.length + 2} `)).toBe(true);

        const single = hosts[0].address;
        let t = Date.now();
        onHost(single, "systemctl start paperless-ha-backup.service || { journalctl -u paperless-ha-backup.service -n 40 --no-pager >&2; exit 1; }");
        report("backup (s)", (Date.now() - t) / 1000);
        const name = onHost(single, "ls /var/backups/paperless-ha | grep '^2' | tail -n 1");
        expect(onHost(single, `cd /var/backups/paperless-ha/${name} && sha256sum -c SHA256SUMS`).split("\n").sort())
            .toEqual(["database.dump: OK", "media.tar: OK"]);

        // Disaster: every document row and every media file gone.
        sqlThroughPgbouncer(hosts[1], "DELETE FROM documents_document_tags; DELETE FROM documents_note; DELETE FROM documents_document");
        onHost(single, "rm -rf /mnt/paperless/media/documents");
        expect((await downloads()).every((s) => s.startsWith("HTTP "))).toBe(true);

        t = Date.now();
        expect(onHost(single, "paperless-ha-restore --yes latest 2>&1")).toContain("checksums verified");
        report("restore (s)", (Date.now() - t) / 1000);
        expect(rows()).toBe(before);
        expect(await downloads()).toEqual(docs.map((d) => d.sha256));
    });

    it("reports the cluster healthy with npm run status: Patroni's members in their containers, the volume and the fresh backup", async () => {
        const out = await statusReport([baseStack], 20);
        expect(out).toMatch(/\nhealthy\n?$/);
        expect(out).toMatch(/database: (.*, )?node\d Leader \(running\)/);
        expect(out).toMatch(/backup: newest 2\d{7}T\d{6}Z, 0\.\d h old/);
        expect(out).toMatch(/\nredis: master node\d, replicas node\d, node\d; 3 of 3 Sentinels agree\n/);
    });

    it("fails over when the leader's host dies: writes resume through the same PgBouncer, every acknowledged write kept", async () => {
        const list = await healthyPatroni(hosts[0], 3);
        const leader = hosts.find((h) => h.name === list.find((m) => m.Role === "Leader")!.Member)!;
        const survivor = hosts.find((h) => h !== leader)!;
        sqlThroughPgbouncer(survivor, "CREATE TABLE IF NOT EXISTS e2e_rpo (n int PRIMARY KEY, at timestamptz DEFAULT now())");
        // One write after another through the survivor's PgBouncer, each acknowledged or not, for at most 120 s.
        const psql = `docker exec -e PGPASSWORD $(docker ps -qf name=paperless-db_patroni-${survivor.name}) ` +
            "psql \"host=127.0.0.1 port=6432 dbname=paperless user=paperless connect_timeout=2\"";
        const writer = databaseWriter(survivor.address, psql, stateSecret(STACK, "secrets-db-app", "result"), 120);
        await sleep(6000);
        const killedAt = Date.now() / 1000;
        execFileSync("docker", ["kill", leader.container]);
        const killDone = Date.now() / 1000;
        onHost(survivor.address, "touch /tmp/e2e-killed");
        const out = await writer;
        const seen = writeGaps(out, killedAt, killDone);
        expect(seen.beforeKill).toBeGreaterThan(5);
        expect(seen.resumedAfter, out.slice(-2000)).toBeDefined();
        report("RTO kill->first write (s)", seen.resumedAfter!);
        report("longest gap between acknowledged writes (s)", seen.longestGap!);
        report("writes acknowledged", seen.acked.length);
        report("writes refused during failover", seen.refused);
        const nameOf = (address: string) => hosts.find((h) => h.address === address)!.name;
        const promoted = promotedAt(hosts.filter((h) => h !== leader).map((h) => h.address),
            (a) => `docker logs --since ${Math.floor(killedAt)} $(docker ps -qf name=paperless-db_patroni-${nameOf(a)})`, killedAt);
        if (promoted !== undefined) report("a standby promoted itself after (s)", promoted - killedAt);
        const stored = new Set(sqlThroughPgbouncer(survivor, "SELECT n FROM e2e_rpo").split("\n").map(Number));
        const lost = seen.acked.filter((l) => !stored.has(l.n)).map((l) => l.n);
        report("RPO lost acknowledged writes", lost.length);
        expect(lost).toEqual([]);
        expect(seen.resumedAfter!).toBeLessThan(60);

        // The dead host comes back and rejoins as a replica; the cluster is whole again.
        const t = Date.now();
        execFileSync("docker", ["start", leader.container]);
        const after = await healthyPatroni(survivor, 3, 240);
        expect(after.find((m) => m.Member === leader.name)?.Role).not.toBe("Leader");
        report("old leader back as replica (s)", (Date.now() - t) / 1000);
    });

    it("keeps at most one writable primary when the leader's host is cut off, and takes it back as a replica", async () => {
        const list = await healthyPatroni(hosts[0], 3);
        const leader = hosts.find((h) => h.name === list.find((m) => m.Role === "Leader")!.Member)!;
        const survivor = hosts.find((h) => h !== leader)!;
        // Asked through `docker exec`, not the network: the cut-off host must be asked too. PostgreSQL
        // not taking connections (pg_isready) is an answer: no client writes there. A node that does not
        // answer at all (three tries) is not taken for a replica: it counts as a possible primary.
        const probe = "runuser -u postgres -- psql -qtAX -c 'SELECT NOT pg_is_in_recovery()' 2>/dev/null || { runuser -u postgres -- pg_isready -q; echo down$?; }";
        const role = async (h: SandboxHost): Promise<"primary" | "replica" | "down" | "no answer"> => {
            for (let i = 0; i < 3; i++) {
                try {
                    const out = execFileSync("docker", ["exec", h.container, "sh", "-c", `docker exec $(docker ps -qf name=paperless-db_patroni-${h.name}) sh -c ${shellQuote(probe)}`],
                        { encoding: "utf8", timeout: 10_000 }).trim();
                    if (out === "t") return "primary";
                    if (out === "f") return "replica";
                    if (out === "down1" || out === "down2") return "down";
                } catch { /* the container restarting, docker not answering: ask again */ }
                await sleep(300);
            }
            return "no answer";
        };
        const net = execFileSync("docker", ["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}", leader.container], { encoding: "utf8" }).trim();
        const cutAt = Date.now();
        execFileSync("docker", ["network", "disconnect", net, leader.container]);
        const samples: string[][] = [];
        let promoted: SandboxHost | undefined;
        let demotedAt = 0;
        try {
            for (let i = 0; i < 60 && !(promoted && demotedAt); i++) { // bounded: 60 samples, about a second apart
                const roles = await Promise.all(hosts.map(role));
                // A node that did not answer is listed as a possible primary ("node1?").
                samples.push(hosts.flatMap((h, k) => (roles[k] === "primary" ? [h.name] : roles[k] === "no answer" ? [`${h.name}?`] : [])));
                promoted ??= hosts.find((h, k) => h !== leader && roles[k] === "primary");
                const was = roles[hosts.indexOf(leader)];
                if (!demotedAt && (was === "replica" || was === "down")) demotedAt = Date.now();
                await sleep(1000);
            }
        } finally {
            execFileSync("docker", ["network", "connect", "--ip", leader.address, net, leader.container]);
        }
        report("partition: old leader demoted after (s)", (demotedAt - cutAt) / 1000);
        report("partition: samples", samples.length);
        expect(samples.filter((p) => p.length > 1), JSON.stringify(samples)).toEqual([]);
        expect(promoted, JSON.stringify(samples)).toBeDefined();
        expect(demotedAt).toBeGreaterThan(0);
        // Writes go on through a survivor's PgBouncer to the new leader.
        expect(sqlThroughPgbouncer(survivor, "SELECT pg_is_in_recovery()")).toBe("f");

        const t = Date.now();
        const after = await healthyPatroni(survivor, 3, 240);
        expect(after.find((m) => m.Member === leader.name)?.Role).not.toBe("Leader");
        report("partition: old leader back as replica (s)", (Date.now() - t) / 1000);
        // The swarm's own raft heals too: every manager reaches a leader again (bounded).
        const leaderSeen = () => hosts.every((h) => {
            try { return onHost(h.address, "docker node ls -q | wc -l") === "3"; } catch { return false; }
        });
        for (let i = 0; i < 60 && !leaderSeen(); i++) await sleep(3000);
        expect(leaderSeen()).toBe(true);
        report("partition: swarm leader seen by every manager after reconnect (s)", (Date.now() - t) / 1000);
    });

    it("grows to four hosts: the fourth joins the swarm and Patroni; nothing on the first three is replaced", async () => {
        await sandbox("up", "--nodes", "4", "--swarm");
        hosts = sandboxHosts();
        grownStack = stackFile("swarm-grown", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as object[]), { name: "node4", address: hosts[3].address }];
        }, "swarm");
        grown = await engine("up", STACK, grownStack);
        report("grow 3->4", grown.summary.seconds);
        report("grow 3->4 changes", grown.summary.created.length + grown.summary.updated.length + grown.summary.replaced.length);
        expect(grown.summary.failed, grown.output.slice(-4000)).toEqual([]);
        expect(grown.summary.deleted).toEqual([]);
        // A Docker config is immutable: the router's, which lists the members, moves to a new one.
        expect(grown.summary.replaced).toEqual(["paperless-db-config-router"]);
        expect(grown.summary.created.filter((n) => !n.includes("node4"))).toEqual([]);
        const membership = new Set([
            // pg_hba's node list reaches each running Patroni through its etcd step; each balancer gains node4's instance
            // and its Redis; each Sentinel learns the new quorum.
            ...["node1", "node2", "node3"].flatMap((n) => [`${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `monitoring-${n}-metrics`, `db-${n}-etcd`, `edge-${n}-haproxy`, `edge-${n}-keepalived`, `redis-${n}`]),
            "gluster-volume", "paperless-db-deploy", "paperless-app-deploy", "membership-guard", "db-handover",
        ]);
        expect(grown.summary.updated.filter((n) => !membership.has(n))).toEqual([]);

        const nodes = onHost(hosts[0].address, "docker node ls --format '{{.Hostname}}={{.ManagerStatus}}'").split("\n").sort();
        expect(nodes.map((l) => l.replace(/=(Leader|Reachable)$/, "=manager"))).toEqual(["node1=manager", "node2=manager", "node3=manager", "node4="]);
        const list = await healthyPatroni(hosts[3], 4);
        expect(list.map((m) => m.Member).sort()).toEqual(["node1", "node2", "node3", "node4"]);
        await expectServed(hosts[3], [uploaded]);
    });

    it("changes nothing on a second run", async () => {
        const again = await engine("up", STACK, grownStack);
        report("no-op re-run", again.summary.seconds);
        expect({ ...again.summary, seconds: 0, outputs: {}, unchanged: 0 }).toMatchObject({ created: [], updated: [], replaced: [], deleted: [], failed: [] });
        expect(again.checked).toEqual([]);
    });

    it("refuses, before changing anything, a list that drops a swarm manager (its etcd member cannot move)", async () => {
        // The second manager's rejoin check runs again too (node3 is second in this list).
        const kept = () => stateBesidesChecks(STACK, ["swarm-rejoin"]);
        const state = kept();
        const withoutNode2 = stackFile("swarm-no-node2", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as { name: string }[]), { name: "node4", address: hosts[3].address }]
                .filter((n) => n.name !== "node2");
        }, "swarm");
        const run = await engine("up", STACK, withoutNode2);
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.name)).toEqual(["membership-guard"]);
        expect(run.summary.failed[0].error).toContain(`swarm manager node2 at ${hosts[1].address} is not among the managers this list asks for`);
        expect(run.summary).toMatchObject({ created: [], updated: ["swarm-rejoin"], replaced: [], deleted: [] });
        expect(kept()).toEqual(state);
    });

    it("replaces node4, lost for good, by a new host under its name: it rejoins the swarm, Patroni clones it, its brick heals, nothing is lost", async () => {
        const { lost, fresh: node4 } = await loseHost(3);

        // With the worker gone the cluster still stores documents.
        Object.assign(storedWhileLost, await storeThrough(hosts[0], "while node4 is lost"));

        const replaced = stackFile("swarm-replaced", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as object[]), { name: "node4", address: node4.address }];
        }, "swarm");
        const run = await engine("up", STACK, replaced);
        report("replace lost node4", run.summary.seconds);
        report("replace lost node4 changes", run.summary.updated.length + run.summary.replaced.length);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.deleted).toEqual([]);
        // Only node4's own resources are made again (and the router's config, which lists its address).
        expect(run.summary.replaced.filter((n) => !n.includes("node4") && n !== "paperless-db-config-router")).toEqual([]);
        grownStack = replaced;

        // One swarm entry per name: the lost host's went, the new host is a ready worker.
        const nodes = onHost(hosts[0].address, "docker node inspect -f '{{index .Spec.Labels \"paperless-ha.node\"}} {{.Status.State}} {{.Spec.Role}} {{.Status.Addr}}' $(docker node ls -q)").split("\n").sort();
        expect(nodes).toHaveLength(4);
        expect(nodes[3]).toBe(`node4 ready worker ${node4.address}`);
        const list = await healthyPatroni(hosts[0], 4, 240);
        expect(list.find((m) => m.Member === "node4")?.Host).toBe(node4.address);

        expect(onHost(hosts[0].address, "gluster pool list")).not.toContain(lost);
        await expectBrickAndDocuments(node4, lost, [uploaded, storedWhileLost]);
    });

    it("replaces node2, a manager lost for good, by a new host under its name: etcd and the swarm take it in, no other etcd or Patroni restarts, nothing is lost", async () => {
        const { lost, fresh: node2 } = await loseHost(1);
        await seenUnreachable(hosts[0], lost);
        Object.assign(storedWhileManagerLost, await storeThrough(hosts[0], "while node2 is lost"));

        await replaceManager("node2", hosts[0], "replace lost manager node2");
        const nodes = onHost(hosts[0].address, "docker node inspect -f '{{index .Spec.Labels \"paperless-ha.node\"}} {{.Status.State}} {{.Spec.Role}} {{.Status.Addr}}' $(docker node ls -q)").split("\n").sort();
        expect(nodes).toHaveLength(4);
        expect(nodes[1]).toBe(`node2 ready manager ${node2.address}`);
        await expectBrickAndDocuments(node2, lost, [uploaded, storedWhileLost, storedWhileManagerLost]);
    });

    it("replaces node1, the first node, lost for good: its new host joins the running swarm through node2, etcd, Patroni and the volume take it in, nothing is lost", async () => {
        const { lost, fresh: node1 } = await loseHost(0);
        const node2 = hosts[1];
        // The database, the volume and the app carry on meanwhile: Sentinel moves the Redis master
        // off node1 when it held it, and every survivor serves the stored document.
        await seenUnreachable(node2, lost);
        let leader: Member | undefined;
        for (let i = 0; i < 20 && !leader; i++, await sleep(3000)) {
            try {
                leader = members(node2).find((m) => m.Role === "Leader" && m.State === "running" && m.Host !== lost);
            } catch { /* etcd electing */ }
        }
        expect(["node2", "node3", "node4"]).toContain(leader?.Member);
        const file = `/mnt/paperless/media/documents/originals/${String(uploaded.id).padStart(7, "0")}.pdf`;
        expect(onHost(node2.address, `sha256sum ${file} | cut -d' ' -f1`)).toBe(uploaded.sha256);
        const redisPassword = stateSecret(STACK, "secrets-redis", "result");
        const survivors = hosts.slice(1).map((h) => h.address);
        // Bounded by a split vote's retry (twice Sentinel's failover-timeout) and then some.
        let masters: string[] = [];
        for (let i = 0; i < 60; i++, await sleep(1000)) {
            masters = survivors.map((a) => redisMasterVia(a, redisPassword));
            if (new Set(masters).size === 1 && survivors.includes(masters[0])) break;
        }
        expect(new Set(masters).size, masters.join(" ")).toBe(1);
        expect(survivors).toContain(masters[0]);
        for (const h of hosts.slice(1)) await expectServed(h, [uploaded]);

        await replaceManager("node1", node2, "replace lost first node node1");
        expect(stateSecret(STACK, "swarm-rejoin", "stderr")).toContain(`node1's host at ${lost} is lost: its new host at ${node1.address} joins the swarm as a manager`);
        expect(stateSecret(STACK, "membership-guard", "stderr")).toContain(`node1's host is lost: the new one at ${node1.address} joins the running swarm`);
        expect(stateSecret(STACK, "gluster-pool", "stderr")).toContain(`probing ${node1.address} into the trusted pool`);
        // One node1, a ready manager at the new address and the only node labelled first; the lost entry gone.
        const nodes = onHost(node1.address, "docker node inspect -f '{{index .Spec.Labels \"paperless-ha.node\"}} {{.Status.State}} {{.Spec.Role}} {{.Status.Addr}} {{index .Spec.Labels \"paperless-ha.first\"}}' $(docker node ls -q)").split("\n").sort();
        expect(nodes).toHaveLength(4);
        expect(nodes[0]).toBe(`node1 ready manager ${node1.address} true`);
        expect(nodes.filter((n) => n.endsWith(" true"))).toHaveLength(1);
        Object.assign(storedThroughNewFirst, await storeThrough(node1, "through node1's new host"));
        await expectBrickAndDocuments(node1, lost, [uploaded, storedWhileLost, storedWhileManagerLost, storedThroughNewFirst]);

        // The singleton's duties come back with it: a backup runs there, and its Prometheus sees every node.
        onHost(node1.address, "systemctl start paperless-ha-backup.service || { journalctl -u paperless-ha-backup.service -n 40 --no-pager >&2; exit 1; }");
        const name = onHost(node1.address, "ls /var/backups/paperless-ha | grep '^2' | tail -n 1");
        expect(onHost(node1.address, `cd /var/backups/paperless-ha/${name} && sha256sum -c SHA256SUMS`).split("\n").sort()).toEqual(["database.dump: OK", "media.tar: OK"]);
        const seen = { "count(paperless_ha_swarm_active == 1)": "4", "count(paperless_ha_app_up == 1)": "4", "count(paperless_ha_storage_mounted == 1)": "4", "count(paperless_ha_db_up == 1)": "4" };
        expect(await promExpect(`http://${node1.address}:9090/`, seen)).toEqual(seen);
    });

    it("shrinks to three by taking node4 off the list: drained, out of the swarm and Patroni, its brick gone, nothing lost", async () => {
        const node4 = hosts[3];
        const shrunkStack = stackFile("swarm-shrunk", (c) => {
            c["paperless-ha:nodes"] = hosts.slice(0, 3).map((h) => ({ name: h.name, address: h.address }));
        }, "swarm");
        const run = await engine("up", STACK, shrunkStack);
        report("shrink 4->3", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.deleted).toContain("swarm-node4-label");
        expect(run.summary.deleted.filter((n) => !n.includes("node4"))).toEqual([]);
        expect(run.summary.replaced).toEqual(["paperless-db-config-router"]);

        const nodes = onHost(hosts[0].address, "docker node ls --format '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'").split("\n").sort();
        expect(nodes.map((l) => l.replace(/ (Leader|Reachable)$/, " manager"))).toEqual(["node1 Ready manager", "node2 Ready manager", "node3 Ready manager"]);
        expect(onHost(node4.address, "docker info -f '{{.Swarm.LocalNodeState}}'")).toBe("inactive");
        expect(onHost(node4.address, "docker ps -aq | wc -l")).toBe("0");
        expect(onHost(hosts[0].address, "docker service ls --format '{{.Name}}'")).not.toContain("node4");
        const list = await healthyPatroni(hosts[0], 3);
        expect(list.map((m) => m.Member).sort()).toEqual(["node1", "node2", "node3"]);

        const volume = onHost(hosts[0].address, "gluster volume info paperless");
        expect(volume).toMatch(/Number of Bricks: 1 x 3 = 3/);
        expect(volume).not.toContain(`${node4.address}:`);
        expect(onHost(hosts[0].address, "gluster pool list")).not.toContain(node4.address);
        await expectServed(hosts[1], [uploaded, storedWhileLost, storedWhileManagerLost, storedThroughNewFirst]);
        const again = await engine("up", STACK, shrunkStack);
        expect({ ...again.summary, seconds: 0, outputs: {}, unchanged: 0 }).toMatchObject({ created: [], updated: [], replaced: [], deleted: [], failed: [] });
        expect(again.checked).toEqual([]);
    });

    it("performs a major upgrade (a 3.0.0-labelled stand-in): every app service stops before the one migration, the stack comes back on the new image, each node rebuilds its search index", async () => {
        const nodes = hosts.slice(0, 3);
        // Full-text search is per node: a fresh document is found only where a worker consumed it.
        const word = uniqueWord("major");
        const doc = await store(app(nodes[0]), textPdf(`before the major upgrade ${word}`));
        const foundBefore = (await Promise.all(nodes.map(async (h) => (await search(instance(h), word)).includes(doc.id)))).filter(Boolean).length;
        expect(foundBefore).toBeLessThan(nodes.length);

        const upgraded = stackFile("swarm-major", (c) => {
            c["paperless-ha:nodes"] = nodes.map((h) => ({ name: h.name, address: h.address }));
            (c["paperless-ha:app"] as Record<string, string>).image = MAJOR_REHEARSAL_IMAGE;
        }, "swarm");
        const run = await engine("up", STACK, upgraded);
        report("major upgrade (s)", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        const span = (name: string) => stepSpan(run, name);
        expect(span("app-major-stop").end).toBeLessThanOrEqual(span("app-migrate").start);
        expect(span("paperless-app-deploy").start).toBeGreaterThanOrEqual(span("app-migrate").end);
        const stopped = stateSecret(STACK, "app-major-stop", "stderr");
        for (const h of nodes) {
            expect(stopped).toContain(`scaling paperless-app_paperless-${h.name} (Paperless-ngx 2.20.15) to no task for the major upgrade to 3.0.0`);
            expect(stateSecret(STACK, `app-${h.name}-index`, "stderr")).toContain("rebuilding this node's search index after the major upgrade from 2.x to 3.x");
            expect(onHost(h.address, `docker ps --filter label=com.docker.swarm.service.name=paperless-app_paperless-${h.name} --format '{{.Image}}'`)).toBe(MAJOR_REHEARSAL_IMAGE);
        }
        report("major upgrade: app down (s)", Math.min(...nodes.map((h) => span(`app-${h.name}-index`).end)) - span("app-major-stop").start);

        // Every node's rebuilt index finds the document, and every node serves it and the older ones.
        for (const h of nodes) {
            expect(await search(instance(h), word), h.name).toEqual([doc.id]);
            await expectServed(h, [uploaded, doc]);
        }
    });

    it("leaks no generated secret on any host: command lines, docker inspect and logs of every container, the journal, files anyone can read", () => {
        const scan = scanForLeaks(STACK, sandboxHosts().map((h) => h.address));
        report("leak scan: secrets looked for", scan.secrets);
        report("leak scan: places a secret was found", Object.values(scan.found).flat().length);
        expect(scan.found).toEqual(Object.fromEntries(Object.keys(scan.found).map((a) => [a, []])));
    });

    it("destroys the stacks and the swarm, leaves the hosts clean and keeps the data aside", async () => {
        const down = await engine("destroy", STACK);
        report("destroy", down.summary.seconds);
        expect(down.summary.failed).toEqual([]);
        for (const h of hosts) {
            expect(onHost(h.address, "docker info -f '{{.Swarm.LocalNodeState}}'")).toBe("inactive");
            expect(noneActive(h.address, ["prometheus-node-exporter", "paperless-ha-metrics.timer", "paperless-ha-backup.timer", "keepalived", "haproxy", "redis-server@paperless-ha", "redis-sentinel@paperless-ha"])).toBe(true);
            expect(holders([h], virtualAddressOf("swarm"))).toEqual([]);
            expect(onHost(h.address, "docker ps -aq | wc -l")).toBe("0");
            expect(onHost(h.address, "findmnt -n /mnt/paperless || echo unmounted")).toBe("unmounted");
            expect(onHost(h.address, "ls -d /srv/paperless-ha/postgres.retained-*/data/PG_VERSION | wc -l")).toBe("1");
            expect(onHost(h.address, "ls /srv/gluster/paperless/brick.retained-*/media/documents/originals | wc -l")).not.toBe("0");
        }
        // The backups and the way back stay.
        expect(onHost(hosts[0].address, "ls /var/backups/paperless-ha | grep -c '^2'")).toBe("1");
        expect(onHost(hosts[0].address, "test -x /usr/local/sbin/paperless-ha-restore && echo kept")).toBe("kept");
    });
});
