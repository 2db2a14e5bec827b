/**
 * The swarm topology's rendered files checked by the real tools (installed by
 * scripts/ensure-test-tools.sh): `docker stack config`, `patroni --validate-config`, `haproxy -c`,
 * `nft -c`, Python's TOML parser for filer.toml, and etcd started from its config file.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { paperlessStack } from "../../components/app";
import { etcdConfigFile, etcdHostsFile, ETCD_PATRONI_USER, etcdPatroniPrefix, hbaSourcesFile, PG_TLS_DIR, patroniConfig, patroniStack, renderPatroniYml, swarmLayout } from "../../components/database";
import { renderRouterCfg } from "../../components/edge";
import { hostScript, renderFirewall, withLib } from "../../components/host";
import { ETCD_ROOT_USER } from "../../components/pki";
import { renderFilerToml, seaweedStack } from "../../components/storage";
import { renderStack, StackSpec } from "../../components/swarm";
import { configOf } from "./harness";

const run = (cmd: string, args: string[], input?: string) =>
    execFileSync(cmd, args, { stdio: "pipe", input, env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" } }).toString();

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-swarm-")); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Not the addresses rendered.test.ts binds: the two files run in parallel.
const ips = ["127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"];
const cluster = () => configOf({
    topology: "swarm",
    nodes: ips.map((ip, i) => ({ name: `node${i + 1}`, address: ip })),
    sshPrivateKey: "k",
});
/** Every secret and config a stack names, under a made-up Docker name. */
const named = (keys: string[]) => Object.fromEntries(keys.map((k) => [k, `test_${k}_0123456789ab`]));

function stacks(): Record<string, StackSpec> {
    const c = cluster();
    return {
        db: patroniStack(c, named([...c.nodes.map((n) => `patroni-${n.name}`), "router", "pgbouncer"]),
            named(["pg_superuser_password", "pg_replication_password", "pg_metrics_password", "pgbouncer_userlist"])),
        storage: seaweedStack(c, named(["filer"]), named(["seaweedfs_db_password"])),
        app: paperlessStack(c, "/mnt/seaweedfs", named([]),
            named(["paperless_db_password", "paperless_secret_key", "paperless_admin_password", "paperless_redis_url", "redis_conf"])),
    };
}

describe("docker stack config", () => {
    it.each(["db", "storage", "app"])("accepts the %s stack as rendered, with no interpolation left", (name) => {
        const text = renderStack(stacks()[name]);
        const file = path.join(dir, `${name}.yml`);
        fs.writeFileSync(file, text);
        const out = run("docker", ["stack", "config", "-c", file]);
        expect(out).toContain("services:");
        // `$` is escaped for compose: what reaches the container is the shell text as written.
        if (name === "storage") expect(out).toContain('WEED_POSTGRES2_PASSWORD="$(cat /run/secrets/seaweedfs_db_password)"');
    });

    it("would catch a misspelt key or an unescaped `$` (the check is real)", () => {
        const text = renderStack(stacks().storage);
        const file = path.join(dir, "broken.yml");
        fs.writeFileSync(file, text.replace(/restart_policy:/g, "restart_polcy:"));
        expect(() => run("docker", ["stack", "config", "-c", file])).toThrow(/restart_polcy is not allowed/);
        fs.writeFileSync(file, text.replace(/\$\$/g, "$"));
        expect(() => run("docker", ["stack", "config", "-c", file])).toThrow(/invalid interpolation/);
    });
});

/** The Python the Patroni image's entrypoint merges its config with. */
const entrypointMerge = /<<'PY'\n([\s\S]*?)\nPY\n/.exec(fs.readFileSync(path.join(__dirname, "..", "..", "images", "patroni", "entrypoint.sh"), "utf8"))![1];

describe("patroni --validate-config (swarm)", () => {
    it("accepts each node's patroni.yml as the entrypoint completes it (etcd endpoints, REST API and etcd passwords); no password in the service's config", async () => {
        const servers = await Promise.all(ips.slice(0, 3).map((ip) => new Promise<net.Server>((resolve) => {
            const srv = net.createServer((sock) => sock.destroy()).listen(2379, ip, () => resolve(srv));
        })));
        try {
            const c = cluster();
            for (const n of c.nodes) {
                const cfg = patroniConfig(c, n, swarmLayout(c)) as { etcd3: Record<string, unknown> };
                expect(JSON.stringify(cfg)).not.toContain("password\":");
                // No other node's address in the service's config; the entrypoint adds the endpoints from the host file.
                expect(cfg.etcd3.hosts).toBeUndefined();
                // Nor another node's address in pg_hba: its lines name NODE_CIDR, which the entrypoint expands per node.
                for (const other of c.nodes.filter((o) => o !== n)) expect(JSON.stringify(cfg)).not.toContain(other.clusterAddress);
                // The entrypoint's own merge adds the etcd endpoints, a pg_hba line per node and the REST API's password.
                const [base, hosts, sources, secret, etcdSecret, file] = ["base", "hosts", "sources", "secret", "etcd-secret", "patroni"].map((f) => path.join(dir, `${f}-${n.name}.yml`));
                fs.writeFileSync(base, renderPatroniYml(cfg));
                fs.writeFileSync(hosts, etcdHostsFile(c));
                fs.writeFileSync(sources, hbaSourcesFile(c));
                fs.writeFileSync(secret, "rest-api-password\n");
                fs.writeFileSync(etcdSecret, "etcd-password\n");
                fs.writeFileSync(file, run("python3", ["-", base, hosts, sources, secret, etcdSecret], entrypointMerge));
                const merged = parse(fs.readFileSync(file, "utf8"));
                expect(merged.restapi.authentication.password).toBe("rest-api-password");
                // Patroni signs in to etcd as its own user, with its own certificate, not the node's.
                expect(merged.etcd3).toMatchObject({ username: ETCD_PATRONI_USER, password: "etcd-password", cert: `${PG_TLS_DIR}/etcd-client.crt`, key: `${PG_TLS_DIR}/etcd-client.key` });
                for (const hba of [merged.postgresql.pg_hba, merged.bootstrap.pg_hba] as string[][]) {
                    expect(hba.filter((l) => l.includes("NODE_CIDR"))).toEqual([]);
                    // Replication, the superuser, the application and the filer: one line each per node, none from anywhere.
                    expect(hba.filter((l) => / 127\.0\.0\.2[1-3]\/32 /.test(l))).toHaveLength(4 * 3);
                    expect(hba.join("\n")).not.toMatch(/0\.0\.0\.0\/0|::\/0/);
                    expect(hba).toContain("hostssl replication replicator 127.0.0.22/32 scram-sha-256");
                    // Patroni's own look at a replica's timeline, over a local replication connection.
                    expect(hba).toContain("hostssl replication replicator 127.0.0.1/32 scram-sha-256");
                }
                run("patroni", ["--validate-config", file]);
            }
            const cfg = patroniConfig(c, c.nodes[0], swarmLayout(c)) as { bootstrap: { dcs: Record<string, unknown> } };
            expect(cfg.bootstrap.dcs).toMatchObject({ ttl: 8, loop_wait: 1, retry_timeout: 3, synchronous_mode: true, synchronous_mode_strict: true });
        } finally {
            servers.forEach((s) => s.close());
        }
    });
});

describe("etcd --config-file (swarm)", () => {
    it("starts a member from the rendered file, serving the v3 gateway Patroni talks to over verified TLS; access control lets Patroni's user at its own keys only", async () => {
        const c = cluster();
        const node = { ...c.nodes[0], clusterAddress: "127.0.0.25" };
        const tls = path.join(dir, "etcd-tls");
        fs.mkdirSync(tls);
        const ssl = (...args: string[]) => run("openssl", args);
        const key = (name: string) => ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(tls, `${name}.key`)];
        ssl("req", "-x509", ...key("ca"), "-out", path.join(tls, "ca.crt"), "-subj", "/CN=test-ca", "-days", "1");
        ssl("req", ...key("node"), "-out", path.join(tls, "node.csr"), "-subj", "/CN=node1");
        fs.writeFileSync(path.join(tls, "ext"), "subjectAltName=IP:127.0.0.25,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n");
        ssl("x509", "-req", "-in", path.join(tls, "node.csr"), "-CA", path.join(tls, "ca.crt"), "-CAkey", path.join(tls, "ca.key"), "-CAcreateserial",
            "-out", path.join(tls, "node.crt"), "-days", "1", "-extfile", path.join(tls, "ext"));
        const conf = path.join(dir, "etcd.yml");
        fs.writeFileSync(conf, etcdConfigFile(c, node, [node], tls, path.join(dir, "etcd-data")));
        const etcd = spawn("etcd", ["--config-file", conf], { stdio: ["ignore", "ignore", "pipe"] });
        let log = "";
        etcd.stderr.on("data", (d) => { log += d; });
        const curl = (cert: boolean) => spawnSync("curl", ["-sS", "--max-time", "3", "--cacert", path.join(tls, "ca.crt"),
            ...(cert ? ["--cert", path.join(tls, "node.crt"), "--key", path.join(tls, "node.key")] : []),
            "-X", "POST", "-d", "{}", "https://127.0.0.25:2379/v3/cluster/member/list"], { encoding: "utf8" });
        try {
            let answer = curl(true);
            for (let i = 0; i < 40 && !answer.stdout.includes("members"); i++) {
                await new Promise((r) => setTimeout(r, 250));
                answer = curl(true);
            }
            expect(JSON.parse(answer.stdout || "{}"), log.slice(-2000)).toMatchObject({ members: [{ name: "node1", peerURLs: ["https://127.0.0.25:2380"] }] });
            // Client certificates are required.
            expect(curl(false).stdout).not.toContain("members");

            // Access control: etcd's root user by its certificate's name, Patroni's certificate names nobody.
            const client = (name: string, subject: string) => {
                ssl("req", ...key(name), "-out", path.join(tls, `${name}.csr`), "-subj", subject);
                fs.writeFileSync(path.join(tls, "ext-client"), "extendedKeyUsage=clientAuth\n");
                ssl("x509", "-req", "-in", path.join(tls, `${name}.csr`), "-CA", path.join(tls, "ca.crt"), "-CAkey", path.join(tls, "ca.key"), "-CAcreateserial",
                    "-out", path.join(tls, `${name}.crt`), "-days", "1", "-extfile", path.join(tls, "ext-client"));
            };
            client("root", `/CN=${ETCD_ROOT_USER}/O=paperless-ha`);
            client("etcd-client", "/O=paperless-ha/OU=etcd-client");
            const auth = () => spawnSync("bash", ["-s"], {
                input: withLib(hostScript("etcd-auth")),
                env: { PATH: process.env.PATH, ENDPOINT: "https://127.0.0.25:2379", CA_CERT: path.join(tls, "ca.crt"), ROOT_DIR: tls,
                    PATRONI_USER: ETCD_PATRONI_USER, PATRONI_PREFIX: etcdPatroniPrefix(c), PATRONI_PASSWORD: "etcd-password" },
                encoding: "utf8",
            });
            const gateway = (cert: string, api: string, body: unknown, token?: string) => spawnSync("curl", ["-sS", "--max-time", "3", "--cacert", path.join(tls, "ca.crt"),
                "--cert", path.join(tls, `${cert}.crt`), "--key", path.join(tls, `${cert}.key`), ...(token ? ["-H", `Authorization: ${token}`] : []),
                "-X", "POST", "--data-binary", "@-", `https://127.0.0.25:2379/v3/${api}`], { encoding: "utf8", input: JSON.stringify(body) }).stdout;
            const b64 = (k: string) => Buffer.from(k).toString("base64");
            const range = (k: string, token?: string) => gateway("etcd-client", "kv/range", { key: b64(k) }, token);
            const signIn = (password: string) => (JSON.parse(gateway("etcd-client", "auth/authenticate", { name: ETCD_PATRONI_USER, password })) as { token?: string; error?: string });
            const own = `${etcdPatroniPrefix(c)}leader`;
            expect(gateway("node", "kv/put", { key: b64(own), value: b64("node1") })).toContain("revision");

            const first = auth();
            expect(first.status, first.stderr).toBe(0);
            expect(first.stderr).not.toContain("etcd-password");
            const token = signIn("etcd-password").token!;
            expect(token).toBeTruthy();
            expect(range(own, token)).toContain(b64("node1"));
            expect(range("/service/other-cluster/leader", token)).toContain("permission denied");
            expect(range(own)).toContain("user name is empty");
            expect(signIn("wrong").error).toContain("authentication failed");
            // A node's certificate gets nothing: the gateway refuses a named certificate once access control is on.
            expect(gateway("node", "kv/range", { key: b64(own) })).not.toContain(b64("node1"));
            // A re-run changes nothing but the password's sessions: signing in again works as before.
            const again = auth();
            expect(again.status, again.stderr).toBe(0);
            expect(range(own, signIn("etcd-password").token)).toContain(b64("node1"));
        } finally {
            etcd.kill();
        }
    });
});

describe("the swarm's other rendered files", () => {
    it("haproxy -c accepts the router config", () => {
        const file = path.join(dir, "router.cfg");
        fs.writeFileSync(file, renderRouterCfg(cluster(), "/etc/ssl/certs/ca-certificates.crt"));
        expect(run("haproxy", ["-c", "-f", file])).toMatch(/Configuration file is valid/);
    });

    it("nft -c accepts the swarm firewall", () => {
        const file = path.join(dir, "fw.nft");
        fs.writeFileSync(file, renderFirewall(cluster(), 22));
        expect(fs.readFileSync(file, "utf8")).toContain("udp dport { 7946, 4789 }");
        run("nft", ["-c", "-f", file]);
    });

    it("filer.toml parses as TOML with a postgres2 store and a bounded pool", () => {
        const file = path.join(dir, "filer.toml");
        fs.writeFileSync(file, renderFilerToml(cluster()));
        const parsed = JSON.parse(run("python3", ["-c", "import json,sys,tomllib; print(json.dumps(tomllib.load(open(sys.argv[1],'rb'))))", file])) as
            { postgres2: Record<string, unknown> };
        expect(parsed.postgres2).toMatchObject({ enabled: true, hostname: "127.0.0.1", port: 5433, connection_max_open: 20, connection_max_idle: 5 });
        expect(parsed.postgres2).not.toHaveProperty("password");
    });
});
