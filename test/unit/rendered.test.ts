/**
 * Rendered config checked by the real tools (installed by scripts/ensure-test-tools.sh):
 * haproxy -c, nft -c, keepalived -t, and a real PostgreSQL started with the rendered settings.
 */
import { execFileSync, ExecFileSyncOptions, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { classicLayout, patroniConfig, PgValue, postgresSettings, renderPatroniYml, renderPgHba, renderPkOffsetsSql, renderPostgresConf } from "../../components/database";
import { INTERFACE_PLACEHOLDER, renderHaproxyCfg, renderKeepalivedConf } from "../../components/edge";
import { renderFirewall } from "../../components/host";
import { configOf } from "./harness";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const run = (cmd: string, args: string[], opts: ExecFileSyncOptions = {}) => execFileSync(cmd, args, { stdio: "pipe", ...opts }).toString();

function tempDir(owner?: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-"));
    if (owner) run("chown", [owner, dir]);
    return dir;
}

/** A CA and a certificate for 127.0.0.1/localhost, made with openssl. */
function makeCerts(dir: string) {
    const f = (n: string) => path.join(dir, n);
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    run("openssl", ["req", "-x509", ...ec, "-keyout", f("ca.key"), "-out", f("ca.crt"), "-subj", "/CN=test-ca", "-days", "1"]);
    run("openssl", ["req", ...ec, "-keyout", f("node.key"), "-out", f("node.csr"), "-subj", "/CN=node1"]);
    fs.writeFileSync(f("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    run("openssl", ["x509", "-req", "-in", f("node.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
        "-out", f("node.crt"), "-days", "1", "-extfile", f("san.ext")]);
    fs.chmodSync(f("node.key"), 0o600);
    return { ca: f("ca.crt"), crt: f("node.crt"), key: f("node.key") };
}

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const srv = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const cluster = (extra: Record<string, unknown> = {}) => configOf({
    nodes: [{ name: "node1", address: "127.0.0.1" }, { name: "node2", address: "10.0.0.12" }, { name: "node3", address: "10.0.0.13" }],
    sshPrivateKey: "k",
    ...extra,
});

describe("haproxy -c", () => {
    it.each([true, false])("accepts the rendered config (tls %s)", (tls) => {
        const dir = tempDir();
        const certs = makeCerts(dir);
        const pem = path.join(dir, "haproxy.pem");
        fs.writeFileSync(pem, fs.readFileSync(certs.crt, "utf8") + fs.readFileSync(certs.key, "utf8"));
        const cfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(cfg, renderHaproxyCfg(cluster({ edge: { tls } }), "cpw", pem));
        expect(run("haproxy", ["-c", "-f", cfg])).toMatch(/Configuration file is valid/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("accepts the pgactive writer's router alone, with the edge off", () => {
        const dir = tempDir();
        const cfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(cfg, renderHaproxyCfg(cluster({ edge: { enabled: false } }), "cpw", "/unused.pem"));
        expect(fs.readFileSync(cfg, "utf8")).toContain("listen postgres");
        expect(fs.readFileSync(cfg, "utf8")).not.toContain("frontend paperless");
        expect(run("haproxy", ["-c", "-f", cfg])).toMatch(/Configuration file is valid/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("accepts the Patroni database router", () => {
        const dir = tempDir();
        const certs = makeCerts(dir);
        const cfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(cfg, renderHaproxyCfg(cluster({ edge: { tls: false }, database: { engine: "patroni" } }), "cpw", "/unused.pem", certs.ca));
        expect(fs.readFileSync(cfg, "utf8")).toContain("listen postgres");
        expect(run("haproxy", ["-c", "-f", cfg])).toMatch(/Configuration file is valid/);
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("answers 400 to a Host the cluster is not reached by, whatever the backends do", async () => {
        const dir = tempDir();
        const port = await freePort();
        const cfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(cfg, renderHaproxyCfg(cluster({ edge: { tls: false, httpPort: port, hostnames: ["paperless.example.com"] } }), "cpw"));
        const proxy = spawn("haproxy", ["-f", cfg], { stdio: "ignore" });
        const status = (host: string) => new Promise<number>((resolve, reject) => {
            const req = http.get({ host: "127.0.0.1", port, path: "/api/", headers: { host }, timeout: 20_000 }, (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
            });
            req.on("error", reject);
        });
        try {
            for (let i = 0; i < 50 && !(await status("localhost").then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 100));
            const seen: Record<string, number> = {};
            for (const host of ["paperless.example.com", `PAPERLESS.example.com:${port}`, `10.0.0.12:${port}`, "10.0.0.13",
                "evil.example", "paperless.example.com.evil.example", `evil.example:${port}`]) seen[host] = await status(host);
            expect(Object.entries(seen).filter(([, code]) => code === 400).map(([host]) => host))
                .toEqual(["evil.example", "paperless.example.com.evil.example", `evil.example:${port}`]);
        } finally {
            proxy.kill();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("would catch a broken config (the check is real)", () => {
        const dir = tempDir();
        const cfg = path.join(dir, "haproxy.cfg");
        fs.writeFileSync(cfg, renderHaproxyCfg(cluster({ edge: { tls: false } }), "cpw").replace("balance roundrobin", "balance no-such-algorithm"));
        expect(() => run("haproxy", ["-c", "-f", cfg])).toThrow();
        fs.rmSync(dir, { recursive: true, force: true });
    });
});

describe("patroni --validate-config", () => {
    it("accepts the rendered patroni.yml (etcd stand-ins listen on loopback: the validator dials them)", async () => {
        const ips = ["127.0.0.11", "127.0.0.12", "127.0.0.13"];
        const servers = await Promise.all(ips.map((ip) => new Promise<net.Server>((resolve) => {
            const srv = net.createServer((sock) => sock.destroy()).listen(2379, ip, () => resolve(srv));
        })));
        const dir = tempDir();
        try {
            const c = configOf({
                nodes: ips.map((ip, i) => ({ name: `node${i + 1}`, address: ip })),
                sshPrivateKey: "k",
                database: { engine: "patroni", port: await freePort() },
            });
            const file = path.join(dir, "patroni.yml");
            fs.writeFileSync(file, renderPatroniYml(patroniConfig(c, c.nodes[0], classicLayout(c, { superuserPassword: "a", replicationPassword: "b", restApiPassword: "c", etcdPassword: "d" }))));
            run("patroni", ["--validate-config", file]);
            fs.writeFileSync(file, renderPatroniYml({ ...patroniConfig(c, c.nodes[0], classicLayout(c, { superuserPassword: "a", replicationPassword: "b", restApiPassword: "c", etcdPassword: "d" })), etcd3: { hosts: ["127.0.0.14:2379"] } }));
            expect(() => run("patroni", ["--validate-config", file])).toThrow(/not reachable/);
        } finally {
            servers.forEach((s) => s.close());
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("nft -c", () => {
    it("accepts the rendered firewall", () => {
        const dir = tempDir();
        const file = path.join(dir, "fw.nft");
        fs.writeFileSync(file, renderFirewall(cluster({ firewall: { managementCidrs: ["192.0.2.0/24", "2001:db8::/32"] } }), 22));
        run("nft", ["-c", "-f", file]);
        fs.writeFileSync(file, renderFirewall(cluster({ firewall: { managementCidrs: ["192.0.2.0/24"] }, edge: { virtualAddress: "10.0.0.100" } }), 22));
        expect(fs.readFileSync(file, "utf8")).toContain("meta l4proto 112 accept");
        run("nft", ["-c", "-f", file]);
        fs.writeFileSync(file, renderFirewall(cluster(), 22).replace("policy drop", "policy maybe"));
        expect(() => run("nft", ["-c", "-f", file])).toThrow();
        fs.rmSync(dir, { recursive: true, force: true });
    });
});

describe("keepalived -t", () => {
    // keepalived checks that the interface exists and is not loopback: any other of this machine's will do.
    const iface = fs.readdirSync("/sys/class/net").filter((i) => i !== "lo").sort()[0];
    const check = (conf: string) => {
        const dir = tempDir();
        const file = path.join(dir, "keepalived.conf");
        fs.writeFileSync(file, conf.replaceAll(INTERFACE_PLACEHOLDER, iface));
        try {
            return run("keepalived", ["-t", "-f", file]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    };

    it.each(["10.0.0.100", "fd00::100"])("accepts the rendered config (virtual address %s), and would catch a broken one", (vip) => {
        const v6 = vip.includes(":");
        const c = configOf({
            nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, address: v6 ? `fd00::1${i}` : `10.0.0.1${i}` })),
            sshPrivateKey: "k",
            edge: { virtualAddress: vip },
        });
        const conf = renderKeepalivedConf(c, c.dataNodes[1]);
        check(conf);
        expect(() => check(conf.replace("priority 199", "priority 900"))).toThrow();
    });
});

describe("PostgreSQL started with the rendered settings", () => {
    let dir: string;
    let port: number;
    let settings: Record<string, PgValue>;
    let certs: { ca: string; crt: string; key: string };
    const asPostgres = (cmd: string, args: string[], input?: string) =>
        run("runuser", ["-u", "postgres", "--", cmd, ...args], { input, cwd: "/" });
    const sql = (db: string, query: string) =>
        asPostgres(`${PG_BIN}/psql`, ["-h", dir, "-p", String(port), "-d", db, "-v", "ON_ERROR_STOP=1", "-qtAX"], query).trim();

    beforeAll(async () => {
        dir = tempDir("postgres");
        port = await freePort();
        certs = makeCerts(dir);
        run("chown", ["-R", "postgres", dir]);
        asPostgres(`${PG_BIN}/initdb`, ["-D", `${dir}/data`, "-A", "peer", "--no-sync", "-U", "postgres"]);
        const c = cluster({ database: { port } });
        settings = {
            ...postgresSettings(c, c.nodes[0]),
            ssl_cert_file: certs.crt,
            ssl_key_file: certs.key,
            ssl_ca_file: certs.ca,
            // pgactive cannot be installed on this machine: everything else is exactly as rendered.
            shared_preload_libraries: "",
        };
        fs.mkdirSync(`${dir}/data/conf.d`);
        fs.writeFileSync(`${dir}/data/conf.d/90-paperless-ha.conf`, renderPostgresConf(settings));
        fs.appendFileSync(`${dir}/data/postgresql.conf`, `\nunix_socket_directories = '${dir}'\ninclude_dir = 'conf.d'\n`);
        fs.writeFileSync(`${dir}/data/pg_hba.conf`, renderPgHba(c));
        run("chown", ["-R", "postgres", dir]);
        asPostgres(`${PG_BIN}/pg_ctl`, ["-D", `${dir}/data`, "-w", "-t", "60", "-l", `${dir}/log`, "start"]);
    }, 120_000);

    afterAll(() => {
        if (!dir) return;
        try {
            asPostgres(`${PG_BIN}/pg_ctl`, ["-D", `${dir}/data`, "-m", "immediate", "stop"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs with every rendered setting in effect", () => {
        const show = (name: string) => sql("postgres", `SHOW "${name}"`);
        for (const [name, value] of Object.entries(settings)) {
            const want = typeof value === "boolean" ? (value ? "on" : "off") : String(value);
            expect(show(name), name).toBe(want);
        }
        expect(sql("postgres", "SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL")).toBe("0");
        expect(sql("postgres", "SELECT count(*) FROM pg_settings WHERE pending_restart")).toBe("0");
    });

    it("admits the app role over TLS with SCRAM and verify-full", () => {
        sql("postgres", "CREATE ROLE paperless LOGIN PASSWORD 'pw'");
        sql("postgres", "CREATE DATABASE paperless OWNER paperless");
        const out = run(`${PG_BIN}/psql`, [
            `host=127.0.0.1 port=${port} dbname=paperless user=paperless sslmode=verify-full sslrootcert=${certs.ca}`,
            "-qtAX", "-c", "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ], { env: { ...process.env, PGPASSWORD: "pw" } }).trim();
        expect(out).toBe("t");
        expect(() => run(`${PG_BIN}/psql`, [`host=127.0.0.1 port=${port} dbname=paperless user=paperless sslmode=disable`, "-c", "SELECT 1"],
            { env: { ...process.env, PGPASSWORD: "pw" } })).toThrow(/no pg_hba.conf entry/);
    });

    it("gives two nodes disjoint primary keys after migration rows exist", () => {
        const seed = [
            "CREATE TABLE docs (id serial PRIMARY KEY, title text)",
            "CREATE TABLE tags (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text)",
            "INSERT INTO docs (title) SELECT 'm' || g FROM generate_series(1, 3) g",
            "INSERT INTO tags (name) SELECT 't' || g FROM generate_series(1, 3) g",
        ].join(";\n");
        sql("postgres", "CREATE DATABASE node1db");
        sql("node1db", seed);
        // A joining node starts from a copy of the group's data, as pgactive_join_group makes it.
        sql("postgres", "CREATE DATABASE node2db TEMPLATE node1db");
        sql("node1db", renderPkOffsetsSql(4, 1));
        sql("node2db", renderPkOffsetsSql(4, 2));
        const insert = (db: string, n: number) => [
            ...sql(db, `INSERT INTO docs (title) SELECT 'x' FROM generate_series(1, ${n}) RETURNING id`).split("\n").map(Number),
            ...sql(db, `INSERT INTO tags (name) SELECT 'x' FROM generate_series(1, ${n}) RETURNING id`).split("\n").map((x) => -Number(x)),
        ];
        const a = insert("node1db", 5);
        const b = insert("node2db", 5);
        // Re-running is harmless: keys keep their residue and move forward.
        sql("node1db", renderPkOffsetsSql(4, 1));
        const a2 = insert("node1db", 2);
        for (const id of [...a, ...a2]) expect(Math.abs(id) % 4).toBe(1);
        for (const id of b) expect(Math.abs(id) % 4).toBe(2);
        expect(Math.min(...a.map(Math.abs))).toBeGreaterThan(3);
        expect(Math.min(...b.map(Math.abs))).toBeGreaterThan(3);
        const all = [...a, ...a2, ...b];
        expect(new Set(all).size).toBe(all.length);
    });

    it("keeps every node's keys its own, never drawn twice, for any stride, node ids, seeded rows and order of inserts, deletes and re-runs", () => {
        const cases = fc.integer({ min: 1, max: 8 }).chain((stride) => fc.record({
            stride: fc.constant(stride),
            ids: fc.uniqueArray(fc.integer({ min: 1, max: stride }), { minLength: 1, maxLength: Math.min(stride, 4) }),
            seeded: fc.integer({ min: 0, max: 40 }),
            // Each step: a node inserts some rows, deletes its newest, or runs the offsets again (as after a migration).
            steps: fc.array(fc.record({ node: fc.nat(), rows: fc.integer({ min: -3, max: 6 }) }), { minLength: 1, maxLength: 8 }),
        }));
        let run = 0;
        fc.assert(fc.property(cases, ({ stride, ids, seeded, steps }) => {
            const db = (id: number) => `prop${run}n${id}`;
            sql("postgres", `CREATE DATABASE prop${run}`);
            sql(`prop${run}`, `CREATE TABLE docs (id serial PRIMARY KEY); INSERT INTO docs SELECT FROM generate_series(1, ${seeded})`);
            for (const id of ids) {
                sql("postgres", `CREATE DATABASE ${db(id)} TEMPLATE prop${run}`);
                sql(db(id), renderPkOffsetsSql(stride, id));
            }
            const keys = new Map<number, number[]>(ids.map((id) => [id, []]));
            for (const { node, rows } of steps) {
                const id = ids[node % ids.length];
                if (rows === 0) sql(db(id), renderPkOffsetsSql(stride, id));
                else if (rows < 0) sql(db(id), `DELETE FROM docs WHERE id IN (SELECT id FROM docs ORDER BY id DESC LIMIT ${-rows})`);
                else keys.get(id)!.push(...sql(db(id), `INSERT INTO docs SELECT FROM generate_series(1, ${rows}) RETURNING id`).split("\n").map(Number));
            }
            for (const name of [`prop${run}`, ...ids.map(db)]) sql("postgres", `DROP DATABASE ${name}`);
            run++;
            const all = [...keys.values()].flat();
            expect(new Set(all).size, "a key drawn twice").toBe(all.length);
            for (const [id, list] of keys) {
                for (const k of list) {
                    expect(k % stride, `node ${id}'s key ${k} (stride ${stride})`).toBe(id % stride);
                    expect(k, "a key at or below the copied rows").toBeGreaterThan(seeded);
                }
            }
        }), {
            numRuns: 10,
            // Once found: a re-run right after the last one, its newest row deleted, must not hand that key out again.
            examples: [[{ stride: 2, ids: [1], seeded: 1, steps: [{ node: 0, rows: -1 }, { node: 0, rows: 0 }, { node: 0, rows: 1 }, { node: 0, rows: 0 }] }]],
        });
    });
});
