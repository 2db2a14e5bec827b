/**
 * The classic topology on pgactive, the active-active engine, on three real test hosts: pgactive
 * built on each host from its release source (the sandbox puts the vendored release where the
 * install step keeps its download), the real Paperless-ngx on top. Order matters.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Call, consumed, onNode, original, sha256, textPdf, uniqueWord, upload, viaBalancer } from "./documents";
import { containerNames, engine, EngineRun, freshHosts, onHost, onHostAsync, sandbox, sandboxHosts, SandboxHost, saveFigures, stackFile, stateSecret, statusReport, stepSpan } from "./hosts";

const STACK = "pgactive";
let hosts: SandboxHost[];
let deployed: EngineRun;
let ca: string;
/** Documents stored so far, each to be served by every node, new ones too. */
const docs: { id: number; sha256: string }[] = [];
const timings: Record<string, number> = {};

function report(name: string, value: number) {
    timings[name] = Math.round(value * 10) / 10;
}

/** SQL on a node's Paperless database as the local superuser (peer login), one value a line. */
const sql = (address: string, query: string) => onHost(address, "cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -d paperless", query);
const adminAuth = () => `admin:${stateSecret(STACK, "secrets-admin", "result")}`;
const via = (address: string): Call => viaBalancer(address, ca, adminAuth());
const instance = (address: string): Call => onNode(address, adminAuth());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack on these hosts with `database` as its database section; on `nodes` when given, by name, at their addresses now. */
const pgactiveStack = (name: string, database: Record<string, unknown>, nodes?: string[]) => stackFile(name, (c) => {
    c["paperless-ha:database"] = { engine: "pgactive", ...database };
    if (nodes) c["paperless-ha:nodes"] = nodes.map((n) => ({ name: n, address: hosts.find((h) => h.name === n)!.address }));
});
/** Every node's view of the group, "name status" a line. */
/** Every node's PostgreSQL answers; when one does not, its unit's journal and its log say why. */
const expectDatabasesAnswer = (on: SandboxHost[]) => {
    for (const h of on) onHost(h.address, "runuser -u postgres -- pg_isready -q -d paperless || " +
        `{ echo 'PostgreSQL on ${h.name} does not answer'; journalctl -u postgresql@15-main -n 20 --no-pager; tail -n 40 /var/log/postgresql/postgresql-15-main.log; exit 1; } >&2`);
};
const groupOf = (address: string) => sql(address, "SELECT node_name || ' ' || node_status::text FROM pgactive.pgactive_nodes ORDER BY 1").split("\n");
/** Until every listed node's own instance serves every stored document (a row may need a moment to arrive). */
async function expectServed(on: SandboxHost[]) {
    for (const h of on) {
        for (const d of docs) {
            let got = "";
            for (let i = 0; i < 20 && got !== d.sha256; i++) {
                got = await original(instance(h.address), d.id).then(sha256, () => "");
                if (got !== d.sha256) await sleep(1000);
            }
            expect(got, `${h.name} document ${d.id}`).toBe(d.sha256);
        }
    }
}
/** Until `query` answers the same on every listed node (120 s at the most); returns the answers. */
async function converged(on: SandboxHost[], query: string): Promise<string[]> {
    const answers = () => on.map((h) => sql(h.address, query));
    const until = Date.now() + 120_000;
    let got = answers();
    while (Date.now() < until && new Set(got).size > 1) {
        await sleep(500);
        got = answers();
    }
    return got;
}

beforeAll(async () => {
    const fresh = await freshHosts("--nodes", "3");
    hosts = fresh.hosts;
    report("sandbox up", fresh.seconds);
});

afterAll(async () => {
    saveFigures("pgactive", timings);
    if (process.env.KEEP_SANDBOX !== "1") await sandbox("down");
});

describe("classic on pgactive, from bare hosts", () => {
    it("stops at the extension step on every node when pgactive is neither there nor to be installed, nothing half-configured", async () => {
        const run = await engine("up", STACK, pgactiveStack("pgactive-none", { pgactive: { install: "none" } }));
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.name).sort(), JSON.stringify(run.summary.failed, null, 1).slice(0, 3000))
            .toEqual(["db-node1-pgactive", "db-node2-pgactive", "db-node3-pgactive"]);
        for (const f of run.summary.failed) expect(f.error).toMatch(new RegExp(`pgactive is not installed on ${f.name.split("-")[1]}`));
        // Nothing after the extension step ran: no PostgreSQL settings of ours, no app.
        for (const h of hosts) {
            expect(onHost(h.address, "ls /etc/postgresql/15/main/conf.d/ 2>/dev/null | grep -c paperless-ha || true")).toBe("0");
            expect(containerNames(h.address).filter((n) => n.includes("paperless-ha-app"))).toEqual([]);
        }
    });

    it("builds pgactive 2.1.8 on every node from its checked release source; the migrated first node forms the group, the others join; Paperless runs on every node", async () => {
        // The same hosts, the config fixed: the default install (source, 2.1.8, its known checksum).
        deployed = await engine("up", STACK, pgactiveStack("pgactive", {}));
        report("deploy", deployed.summary.seconds);
        expect(deployed.summary.failed, deployed.output.slice(-4000)).toEqual([]);
        ca = String(deployed.summary.outputs.caCertificate);
        for (const h of hosts) {
            const stderr = stateSecret(STACK, `db-${h.name}-pgactive`, "stderr");
            const built = /pgactive 2\.1\.8 built and installed on \S+ in (\d+) s/.exec(stderr);
            expect(built, stderr.slice(-2000)).not.toBeNull();
            report(`${h.name} pgactive build (s)`, Number(built![1]));
            const step = stepSpan(deployed, `db-${h.name}-pgactive`);
            report(`${h.name} pgactive install step (s)`, step.end - step.start);
            expect(sql(h.address, "SELECT extversion FROM pg_extension WHERE extname = 'pgactive'")).toBe("2.1.8");
        }
        const group = stepSpan(deployed, "db-group");
        report("group create (s)", group.end - group.start);
        for (const h of hosts.slice(1)) {
            const join = stepSpan(deployed, `db-${h.name}-join`);
            report(`${h.name} join (s)`, join.end - join.start);
        }
        for (const h of hosts) {
            expect(sql(h.address, "SELECT node_name || ' ' || node_status::text FROM pgactive.pgactive_nodes ORDER BY 1").split("\n"))
                .toEqual(["node1 r", "node2 r", "node3 r"]);
            expect(onHost(h.address, "docker inspect -f '{{.State.Health.Status}}' paperless-ha-app")).toBe("healthy");
        }
    });

    it("gives every node the same migrations and schema: the first node's, copied as the others joined", () => {
        const migrations = hosts.map((h) => sql(h.address, "SELECT count(*) || ' ' || md5(string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM django_migrations"));
        expect(Number(migrations[0].split(" ")[0])).toBeGreaterThan(100);
        expect(new Set(migrations).size, migrations.join("\n")).toBe(1);
        const schema = hosts.map((h) => sql(h.address, "SELECT count(*) || ' ' || md5(string_agg(table_name || '.' || column_name || ':' || data_type, ',' " +
            "ORDER BY table_name, column_name)) FROM information_schema.columns WHERE table_schema = 'public'"));
        expect(new Set(schema).size, schema.join("\n")).toBe(1);
    });

    it("stores documents uploaded through every node once, and every node's own instance serves each of them", async () => {
        for (const h of hosts) {
            const d = textPdf(`${uniqueWord("pga")} uploaded through ${h.name}`);
            const id = await consumed(via(h.address), await upload(via(h.address), d));
            docs.push({ id, sha256: d.sha256 });
        }
        expect(new Set(docs.map((d) => d.id)).size).toBe(3);
        // Read from each node's own database.
        await expectServed(hosts);
    });

    it("takes rows written through every node's database at once: no key collides, every row reaches every node", async () => {
        const rows = 200;
        const started = Date.now();
        // Each node inserts its own rows into a Paperless table in its local database, all at the
        // same time, one transaction each, drawing keys from the table's own sequence.
        const writers = hosts.map((h) => onHostAsync(h.address, "cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -d paperless",
            Array.from({ length: rows }, (_, i) => `INSERT INTO auth_group (name) VALUES ('e2e-${h.name}-${i}');`).join("\n"), 300_000));
        for (const w of await Promise.all(writers)) expect(w.code, w.stderr).toBe(0);
        const written = (Date.now() - started) / 1000;
        report("rows written per node, at once", rows);
        report("parallel writes took (s)", written);
        const counts = () => hosts.map((h) => Number(sql(h.address, "SELECT count(*) FROM auth_group WHERE name LIKE 'e2e-%'")));
        const until = Date.now() + 120_000;
        while (Date.now() < until && counts().some((n) => n !== rows * 3)) await sleep(500);
        report("every row on every node, after the last write (s)", (Date.now() - started) / 1000 - written);
        expect(counts()).toEqual([rows * 3, rows * 3, rows * 3]);
        // Each node's keys keep their own residue (its id) modulo the stride: none can meet another's.
        for (const [i, h] of hosts.entries()) {
            expect(sql(h.address, `SELECT DISTINCT id % 4 FROM auth_group WHERE name LIKE 'e2e-${h.name}-%'`)).toBe(String((i + 1) % 4));
        }
        const same = hosts.map((h) => sql(h.address, "SELECT md5(string_agg(id || name, ',' ORDER BY id)) FROM auth_group WHERE name LIKE 'e2e-%'"));
        expect(new Set(same).size).toBe(1);
    });

    it("replicates a write to the other nodes within a measured lag; counts the conflicts pgactive resolved", async () => {
        // From node1: insert there, then poll node2 and node3 over TLS as pgactive's own user until both see it.
        const password = stateSecret(STACK, "secrets-db-replication", "result");
        const probe = String.raw`cd / && export PGSSLMODE=require PGCONNECT_TIMEOUT=5
for i in $(seq 1 10); do
    name="lag-$RANDOM-$i"
    t0=$(date +%s%N)
    runuser -u postgres -- psql -qtA -d paperless -c "INSERT INTO auth_group (name) VALUES ('$name')" >/dev/null
    for peer in ` + `${hosts[1].address} ${hosts[2].address}` + String.raw`; do
        for _ in $(seq 1 600); do
            [ "$(psql -qtA -h "$peer" -U pgactive -d paperless -c "SELECT count(*) FROM auth_group WHERE name = '$name'")" = 1 ] && break
            sleep 0.05
        done
    done
    echo $(( ($(date +%s%N) - t0) / 1000000 ))
done`;
        // bash reads its script from stdin line by line: the line after the first, read by it, is the password.
        const out = await onHostAsync(hosts[0].address, "bash -s", `read -r PGPASSWORD; export PGPASSWORD\n${password}\n${probe}`, 300_000);
        expect(out.code, out.stderr).toBe(0);
        const lags = out.stdout.trim().split("\n").map(Number);
        expect(lags).toHaveLength(10);
        report("replication lag median (ms)", median(lags));
        report("replication lag max (ms)", Math.max(...lags));
        expect(Math.max(...lags)).toBeLessThan(30_000);
        // Counted by table. Every instance writes through one node, so none of Paperless's own
        // writes (a task's row updated by the worker that ran it, for one) meet another; nor do the
        // rows this suite wrote through each node, each with its own keys. The joins leave a few on
        // pgactive's own catalog.
        const conflicts = hosts.map((h) => sql(h.address, "SELECT coalesce(string_agg(conflict_type || ' ' || object_schema || '.' || object_name || ' ' || n, ', '), 'none') " +
            "FROM (SELECT conflict_type::text, object_schema, object_name, count(*) n FROM pgactive.pgactive_conflict_history GROUP BY 1, 2, 3 ORDER BY 1, 2, 3) c"));
        console.log(`pgactive conflicts by node: ${conflicts.join(" | ")}`);
        report("conflicts recorded", hosts.map((h) => Number(sql(h.address, "SELECT count(*) FROM pgactive.pgactive_conflict_history"))).reduce((a, b) => a + b, 0));
        for (const c of conflicts) expect(c).not.toContain(" public.");
    });

    it("reports the group, the conflicts it resolved and the one writer with npm run status, and the group as metrics", async () => {
        const out = await statusReport([pgactiveStack("pgactive-status", {})]);
        expect(out).toMatch(/\ndatabase: pgactive node1:r,node2:r,node3:r; conflicts resolved: node1 \d+, node2 \d+, node3 \d+\n/);
        expect(out).toContain("\ndatabase: writer node1\n");
        expect(out).toMatch(/\nhealthy\n?$/);
        for (const h of hosts) {
            // The counter is the history's row count when the collector ran.
            const [prom, rows] = onHost(h.address, "systemctl start paperless-ha-metrics.service && grep '^paperless_ha_pgactive' /var/lib/prometheus/node-exporter/paperless_ha.prom && " +
                "echo --- && cd / && runuser -u postgres -- psql -qtA -d paperless -c 'SELECT count(*) FROM pgactive.pgactive_conflict_history'").split("\n---\n");
            expect(prom.split("\n").sort()).toEqual([`paperless_ha_pgactive_conflicts_total ${rows}`, "paperless_ha_pgactive_nodes 3", "paperless_ha_pgactive_nodes_ready 3"]);
        }
    });

    it("sends every instance's writes to one node: node2 takes them within seconds when node1's PostgreSQL stops, node1 takes them back once it caught up", async () => {
        const [node1, node2, node3] = hosts;
        const password = stateSecret(STACK, "secrets-db-replication", "result");
        // Which node a new connection through a node's router reaches (the password on stdin).
        const writerVia = (via: string) => onHost(via, "bash -s", `read -r PGPASSWORD; export PGPASSWORD\n${password}\n` +
            "psql 'host=127.0.0.1 port=5433 dbname=paperless user=pgactive sslmode=require connect_timeout=5' -qtAc 'SELECT host(inet_server_addr())' 2>/dev/null || echo none");
        const writer = () => writerVia(node3.address);
        expect(writer()).toBe(node1.address);
        // Each HAProxy checks on its own clock, so an instance whose router has not yet seen the
        // stop fails its requests meanwhile: the upload below waits for every router.
        const until = async (address: string, seconds: number) => {
            const t = Date.now();
            const moved = () => hosts.every((h) => writerVia(h.address) === address);
            while (Date.now() - t < seconds * 1000 && !moved()) await sleep(250);
            expect(hosts.map((h) => `${h.name} ${writerVia(h.address)}`), `the writer through every node's router, ${seconds} s at the most`)
                .toEqual(hosts.map((h) => `${h.name} ${address}`));
            return (Date.now() - t) / 1000;
        };
        // A fast shutdown; when it or the start fails, the unit's journal and the log say why.
        const unit = (action: string) => onHost(node1.address, `pg_ctlcluster 15 main ${action} || ` +
            "{ journalctl -u postgresql@15-main -n 30 --no-pager; tail -n 30 /var/log/postgresql/postgresql-15-main.log; exit 1; } >&2");
        unit("stop -m fast");
        let row: string;
        try {
            report("writer moved to node2 on every router after node1's PostgreSQL stopped (s)", await until(node2.address, 30));
            // Paperless goes on: a document stored through node3 lands in node2's database (the
            // singleton's consumer on node1 writes through node1's router).
            const d = textPdf(`${uniqueWord("pga")} stored while node1's database is down`);
            docs.push({ id: await consumed(via(node3.address), await upload(via(node3.address), d)), sha256: d.sha256 });
            row = `SELECT count(*) FROM documents_document WHERE id = ${docs.at(-1)!.id}`;
            expect(sql(node2.address, row)).toBe("1");
        } finally {
            // Started again whatever failed above, so that one failure does not become the next tests'.
            unit("start");
        }
        // Watched side by side: when node1 holds the row node2 took meanwhile, and when it is the
        // writer again; never the writer before it caught up.
        const back = Date.now();
        let caughtUp: number | undefined;
        let rose: number | undefined;
        // A connection refused while it starts up means "not yet"; the last refusal is kept for the report.
        let refused = "";
        const holds = () => {
            try {
                return sql(node1.address, row) === "1";
            } catch (e) {
                refused = (e as Error).message.split("\n").slice(-3).join(" ");
                return false;
            }
        };
        while (Date.now() - back < 120_000 && rose === undefined) {
            if (caughtUp === undefined && holds()) caughtUp = (Date.now() - back) / 1000;
            if (writer() === node1.address) rose = (Date.now() - back) / 1000;
            else await sleep(250);
        }
        expect(caughtUp, `node1 holds the row stored while it was down (last refusal: ${refused || "none"})`).toBeDefined();
        expect(rose, "node1 is the writer again within 120 s").toBeDefined();
        expect(caughtUp!).toBeLessThanOrEqual(rose!);
        report("node1 caught up after its PostgreSQL started (s)", caughtUp!);
        report("writer back on node1 after its PostgreSQL started (s)", rose!);
        await expectServed(hosts);
        expectDatabasesAnswer(hosts);
    });

    it("grows to four: node4 builds pgactive and joins with a copy of the data, takes writes with its own keys and serves every document; nothing is made again", async () => {
        await sandbox("up", "--nodes", "4");
        hosts = sandboxHosts();
        const run = await engine("up", STACK, pgactiveStack("pgactive-4", {}, ["node1", "node2", "node3", "node4"]));
        report("grow 3->4", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        expect(run.summary.replaced).toEqual([]);
        expect(run.summary.deleted).toEqual([]);
        expect(run.summary.created.filter((n) => !n.includes("node4"))).toEqual([]);
        const join = stepSpan(run, "db-node4-join");
        report("node4 join (s)", join.end - join.start);
        for (const h of hosts) expect(groupOf(h.address), h.name).toEqual(["node1 r", "node2 r", "node3 r", "node4 r"]);
        // Everything written before it existed reached it, migrations included.
        const all = await converged(hosts, "SELECT count(*) || ' ' || md5(string_agg(id || name, ',' ORDER BY id)) FROM auth_group");
        expect(new Set(all).size, all.join("\n")).toBe(1);
        expect(new Set(await converged(hosts, "SELECT md5(string_agg(app || '.' || name, ',' ORDER BY app, name)) FROM django_migrations")).size).toBe(1);
        // Its keys keep its own residue (4 mod 4), and its rows reach the others.
        const node4 = hosts[3];
        sql(node4.address, "INSERT INTO auth_group (name) VALUES ('e2e-grown-node4')");
        expect(sql(node4.address, "SELECT id % 4 FROM auth_group WHERE name = 'e2e-grown-node4'")).toBe("0");
        expect(await converged(hosts, "SELECT count(*) FROM auth_group WHERE name = 'e2e-grown-node4'")).toEqual(["1", "1", "1", "1"]);
        expect(onHost(node4.address, "docker inspect -f '{{.State.Health.Status}}' paperless-ha-app")).toBe("healthy");
        await expectServed([node4]);
    });

    it("keeps taking writes through the other nodes' databases while node3 is lost (each node takes writes: nothing to fail over), and node3 catches up once it is back", async () => {
        const node3 = hosts.find((h) => h.name === "node3")!;
        const writing = hosts.filter((h) => h.name === "node1" || h.name === "node2");
        // A new connection per insert, as a client's; bounded in count and time. One line per
        // insert: when it returned (ms) and whether it was acknowledged.
        const writer = (h: SandboxHost) => onHostAsync(h.address, "bash -s", String.raw`cd /; end=$((SECONDS + 60))
for i in $(seq 1 300); do
    [ "$SECONDS" -lt "$end" ] || break
    if runuser -u postgres -- psql -qtA -d paperless -c "INSERT INTO auth_group (name) VALUES ('loss-${h.name}-$i')" >/dev/null 2>&1; then r=ok; else r=failed; fi
    echo "$(date +%s%3N) $r"
    sleep 0.1
done`, 180_000);
        expectDatabasesAnswer(hosts);
        const writers = writing.map(writer);
        await sleep(5000);
        const lostAt = Date.now();
        execFileSync("docker", ["kill", node3.container]);
        // Paperless stores a document through node1 meanwhile (its HAProxy drops node3 once its check fails).
        const d = textPdf(`${uniqueWord("pga")} stored while node3 is lost`);
        let stored: number | undefined;
        for (let i = 0; i < 5 && stored === undefined; i++) {
            stored = await upload(via(writing[0].address), d).then((task) => consumed(via(writing[0].address), task), () => sleep(3000).then(() => undefined));
        }
        expect(stored, "a document stored through node1 while node3 is lost, in 5 tries").toBeDefined();
        docs.push({ id: stored!, sha256: d.sha256 });
        const lines = (await Promise.all(writers)).flatMap((w) => {
            expect(w.code, w.stderr).toBe(0);
            return w.stdout.trim().split("\n").map((l) => l.split(" "));
        });
        expect(lines.filter(([, r]) => r !== "ok")).toEqual([]);
        const whileLost = lines.filter(([t]) => Number(t) > lostAt).length;
        report("writes acknowledged while node3 was lost", whileLost);
        expect(whileLost).toBeGreaterThan(50);
        const total = String(lines.length);
        const survivors = hosts.filter((h) => h !== node3);
        expect(await converged(survivors, "SELECT count(*) FROM auth_group WHERE name LIKE 'loss-%'")).toEqual(survivors.map(() => total));
        await expectServed(survivors);

        // Back: from the moment its PostgreSQL answers until it holds every row written meanwhile.
        execFileSync("docker", ["start", node3.container]);
        let ready = false;
        for (let i = 0; i < 120 && !ready; i++) {
            try {
                ready = onHost(node3.address, "runuser -u postgres -- pg_isready -q -d paperless && echo yes || true") === "yes";
            } catch {
                // SSH is not up yet.
            }
            if (!ready) await sleep(1000);
        }
        expect(ready, "node3's PostgreSQL answers within 120 s of its host starting").toBe(true);
        const backAt = Date.now();
        const count = () => sql(node3.address, "SELECT count(*) FROM auth_group WHERE name LIKE 'loss-%'");
        while (Date.now() - backAt < 180_000 && count() !== total) await sleep(250);
        expect(count()).toBe(total);
        report("node3 catch-up after its PostgreSQL is back (s)", (Date.now() - backAt) / 1000);
        expect(new Set(await converged(hosts, "SELECT md5(string_agg(id || name, ',' ORDER BY id)) FROM auth_group")).size).toBe(1);
        for (const h of hosts) expect(groupOf(h.address), h.name).toEqual(["node1 r", "node2 r", "node3 r", "node4 r"]);
    });

    it("replaces node3, lost for good, by a new host under its name: its predecessor is detached, the new host joins with a copy, nothing is lost", async () => {
        const lost = hosts.find((h) => h.name === "node3")!.address;
        await sandbox("replace", "node3");
        hosts = sandboxHosts();
        const node3 = hosts.find((h) => h.name === "node3")!;
        expect(node3.address).not.toBe(lost);
        const run = await engine("up", STACK, pgactiveStack("pgactive-replaced", {}, ["node1", "node2", "node3", "node4"]));
        report("replace lost node3", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        expect(run.summary.deleted).toEqual([]);
        expect(stateSecret(STACK, "db-node3-join", "stderr")).toContain(`detaching this node's lost predecessor from the pgactive group (state r, host=${lost} `);
        const join = stepSpan(run, "db-node3-join");
        report("node3 replacement join (s)", join.end - join.start);
        for (const h of hosts) expect(groupOf(h.address), h.name).toEqual(["node1 r", "node2 r", "node3 r", "node4 r"]);
        // No node keeps a replication slot for the lost host (it would hold WAL for ever): one per peer.
        expect(await converged(hosts, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgactive%'")).toEqual(hosts.map(() => "3"));
        const all = await converged(hosts, "SELECT count(*) || ' ' || md5(string_agg(id || name, ',' ORDER BY id)) FROM auth_group");
        expect(new Set(all).size, all.join("\n")).toBe(1);
        sql(node3.address, "INSERT INTO auth_group (name) VALUES ('e2e-replaced-node3')");
        expect(sql(node3.address, "SELECT id % 4 FROM auth_group WHERE name = 'e2e-replaced-node3'")).toBe("3");
        expect(await converged(hosts, "SELECT count(*) FROM auth_group WHERE name = 'e2e-replaced-node3'")).toEqual(hosts.map(() => "1"));
        await expectServed([node3]);
    });

    it("shrinks to three by taking node4 off the list: detached from the group, no slot left for it, its database set aside; nothing is lost", async () => {
        const run = await engine("up", STACK, pgactiveStack("pgactive-3", {}, ["node1", "node2", "node3"]));
        report("shrink 4->3", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-4000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.deleted).toContain("db-node4-join");
        expect(run.summary.deleted.filter((n) => !n.includes("node4"))).toEqual([]);
        expect(stateSecret(STACK, "db-group", "stderr")).toContain("detaching pgactive nodes no longer listed: node4");
        const [node4, staying] = [hosts[3], hosts.slice(0, 3)];
        for (const h of staying) expect(groupOf(h.address), h.name).toEqual(["node1 r", "node2 r", "node3 r", "node4 k"]);
        expect(await converged(staying, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'pgactive%'")).toEqual(["2", "2", "2"]);
        // The detached node4 is no longer part of the group, and no slot is left for anyone gone.
        const status = await statusReport([pgactiveStack("pgactive-status-3", {}, ["node1", "node2", "node3"])]);
        expect(status).toMatch(/\ndatabase: pgactive node1:r,node2:r,node3:r; /);
        expect(status).toMatch(/\nhealthy\n?$/);
        sql(staying[0].address, "INSERT INTO auth_group (name) VALUES ('e2e-shrunk-node1')");
        expect(await converged(staying, "SELECT count(*) FROM auth_group WHERE name = 'e2e-shrunk-node1'")).toEqual(["1", "1", "1"]);
        const all = await converged(staying, "SELECT count(*) || ' ' || md5(string_agg(id || name, ',' ORDER BY id)) FROM auth_group");
        expect(new Set(all).size, all.join("\n")).toBe(1);
        expect(containerNames(node4.address).filter((n) => n.includes("paperless-ha"))).toEqual([]);
        expect(onHost(node4.address, "ls -d /var/lib/postgresql/15/*.retained-* 2>/dev/null | wc -l")).not.toBe("0");
        await expectServed(staying);
    });

    it("destroys everything it made and sets the database files aside, kept", async () => {
        const down = await engine("destroy", STACK);
        report("destroy", down.summary.seconds);
        expect(down.summary.failed).toEqual([]);
        expect(down.code).toBe(0);
        for (const h of hosts) {
            expect(onHost(h.address, "docker ps -a --format '{{.Names}}' | grep -c paperless-ha || true")).toBe("0");
            expect(onHost(h.address, "ls -d /var/lib/postgresql/15/*.retained-* 2>/dev/null | wc -l")).not.toBe("0");
        }
    });
});
