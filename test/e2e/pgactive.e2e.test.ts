/**
 * The classic topology on pgactive, the active-active engine, on three real test hosts: pgactive
 * built on each host from its release source (the sandbox puts the vendored release where the
 * install step keeps its download), the real Paperless-ngx on top. Order matters.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Call, consumed, onNode, original, sha256, textPdf, uniqueWord, upload, viaBalancer } from "./documents";
import { engine, EngineRun, freshHosts, onHost, onHostAsync, ROOT, sandbox, SandboxHost, saveFigures, stackFile, stateSecret, stepSpan } from "./hosts";

const STACK = "pgactive";
let hosts: SandboxHost[];
let deployed: EngineRun;
let ca: string;
const timings: Record<string, number> = {};

function report(name: string, value: number) {
    timings[name] = Math.round(value * 10) / 10;
}

/** SQL on a node's Paperless database as the local superuser (peer login), one value a line. */
const sql = (address: string, query: string) => onHost(address, "runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA -d paperless", query);
const adminAuth = () => `admin:${stateSecret(STACK, "secrets-admin", "result")}`;
const via = (address: string): Call => viaBalancer(address, ca, adminAuth());
const instance = (address: string): Call => onNode(address, adminAuth());
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stack on these hosts with `database` as its database section. */
const pgactiveStack = (name: string, database: Record<string, unknown>) => stackFile(name, (c) => {
    c["paperless-ha:database"] = { engine: "pgactive", ...database };
});

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
            expect(onHost(h.address, "docker ps -a --format '{{.Names}}' | grep -c paperless-ha-app || true")).toBe("0");
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
        const docs: { id: number; sha256: string }[] = [];
        for (const h of hosts) {
            const d = textPdf(`${uniqueWord("pga")} uploaded through ${h.name}`);
            const id = await consumed(via(h.address), await upload(via(h.address), d));
            docs.push({ id, sha256: d.sha256 });
        }
        expect(new Set(docs.map((d) => d.id)).size).toBe(3);
        for (const h of hosts) {
            for (const d of docs) {
                // Read from that node's own database: the row may need a moment to arrive.
                let got = "";
                for (let i = 0; i < 20 && got !== d.sha256; i++) {
                    got = sha256(await original(instance(h.address), d.id));
                    if (got !== d.sha256) await sleep(1000);
                }
                expect(got, `${h.name} document ${d.id}`).toBe(d.sha256);
            }
        }
    });

    it("takes rows written through every node's database at once: no key collides, every row reaches every node", async () => {
        const rows = 200;
        const started = Date.now();
        // Each node inserts its own rows into a Paperless table in its local database, all at the
        // same time, one transaction each, drawing keys from the table's own sequence.
        const writers = hosts.map((h) => onHostAsync(h.address, "runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -d paperless",
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
        const probe = String.raw`export PGSSLMODE=require PGCONNECT_TIMEOUT=5
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
        // Paperless updates a task's row from the node whose worker ran it, which is not always the
        // node that made the row: such updates meet, and pgactive keeps the last. Counted, by table.
        const conflicts = hosts.map((h) => sql(h.address, "SELECT coalesce(string_agg(conflict_type || ' ' || object_name || ' ' || n, ', '), 'none') " +
            "FROM (SELECT conflict_type::text, object_name, count(*) n FROM pgactive.pgactive_conflict_history GROUP BY 1, 2 ORDER BY 1, 2) c"));
        console.log(`pgactive conflicts by node: ${conflicts.join(" | ")}`);
        report("conflicts recorded", hosts.map((h) => Number(sql(h.address, "SELECT count(*) FROM pgactive.pgactive_conflict_history"))).reduce((a, b) => a + b, 0));
        // None on the rows this suite wrote itself (each node its own keys).
        for (const c of conflicts) expect(c).not.toContain("auth_group");
    });

    it("reports the group and the conflicts it resolved with npm run status and as metrics", () => {
        const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "tools", "status.ts"), pgactiveStack("pgactive-status", {})],
            { encoding: "utf8", timeout: 120_000 });
        const out = `${r.stdout}${r.stderr}`;
        expect(out).toMatch(/\ndatabase: pgactive node1:r,node2:r,node3:r; conflicts resolved: node1 \d+, node2 \d+, node3 \d+\n/);
        expect(out).toMatch(/\nhealthy\n?$/);
        for (const h of hosts) {
            // The counter is the history's row count when the collector ran.
            const [prom, rows] = onHost(h.address, "systemctl start paperless-ha-metrics.service && grep '^paperless_ha_pgactive' /var/lib/prometheus/node-exporter/paperless_ha.prom && " +
                "echo --- && runuser -u postgres -- psql -qtA -d paperless -c 'SELECT count(*) FROM pgactive.pgactive_conflict_history'").split("\n---\n");
            expect(prom.split("\n").sort()).toEqual([`paperless_ha_pgactive_conflicts_total ${rows}`, "paperless_ha_pgactive_nodes 3", "paperless_ha_pgactive_nodes_ready 3"]);
        }
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
