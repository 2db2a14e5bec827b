/**
 * The swarm topology's rendered files checked by the real tools (installed by
 * scripts/ensure-test-tools.sh): `docker stack config`, `patroni --validate-config`, `haproxy -c`,
 * `nft -c`, and Python's TOML parser for filer.toml.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { paperlessStack } from "../../components/app";
import { validateConfig } from "../../components/config";
import { patroniConfig, patroniStack, renderPatroniYml, swarmLayout } from "../../components/database";
import { renderRouterCfg } from "../../components/edge";
import { renderFirewall } from "../../components/host";
import { renderFilerToml, seaweedStack } from "../../components/storage";
import { renderStack, StackSpec } from "../../components/swarm";

const run = (cmd: string, args: string[], input?: string) =>
    execFileSync(cmd, args, { stdio: "pipe", input, env: { ...process.env, DOCKER_HOST: "unix:///nonexistent/docker.sock" } }).toString();

let dir: string;
beforeAll(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-swarm-")); });
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// Not the addresses rendered.test.ts binds: the two files run in parallel.
const ips = ["127.0.0.21", "127.0.0.22", "127.0.0.23", "127.0.0.24"];
const cluster = () => validateConfig({
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
        app: paperlessStack(c, "/mnt/seaweedfs", named(["scheduler_disabled"]),
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

describe("patroni --validate-config (swarm)", () => {
    it("accepts each node's patroni.yml: etcd on the managers, passwords left to the entrypoint", async () => {
        const servers = await Promise.all(ips.slice(0, 3).map((ip) => new Promise<net.Server>((resolve) => {
            const srv = net.createServer((sock) => sock.destroy()).listen(2379, ip, () => resolve(srv));
        })));
        try {
            const c = cluster();
            for (const n of c.nodes) {
                const cfg = patroniConfig(c, n, swarmLayout(c));
                expect(JSON.stringify(cfg)).not.toContain("password\":");
                const file = path.join(dir, `patroni-${n.name}.yml`);
                fs.writeFileSync(file, renderPatroniYml(cfg));
                run("patroni", ["--validate-config", file]);
            }
            const cfg = patroniConfig(c, c.nodes[0], swarmLayout(c)) as { bootstrap: { dcs: Record<string, unknown> } };
            expect(cfg.bootstrap.dcs).toMatchObject({ ttl: 10, loop_wait: 2, retry_timeout: 4, synchronous_mode: true, synchronous_mode_strict: true });
        } finally {
            servers.forEach((s) => s.close());
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
