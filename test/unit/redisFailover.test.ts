/**
 * The rendered Redis, Sentinel and HAProxy settings and the role helper, run for real on loopback
 * (Debian's redis-server, redis-sentinel and haproxy, installed by scripts/ensure-test-tools.sh):
 * three Redis on 127.0.0.2-4 with a Sentinel each, and the route Paperless uses. The master's
 * process is killed; the route must reach the one Sentinel promotes, and the old master must come
 * back as its replica.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeSpec } from "../../components/config";
import { renderHaproxyCfg } from "../../components/edge";
import { REDIS_CHECK_USER, renderRedisConf, renderRoleConf, renderSentinelConf } from "../../components/redis";
import { configOf } from "./harness";

const HELPER = path.join(__dirname, "..", "..", "scripts", "host", "tools", "paperless-ha-redis-role.sh");
const secrets = { password: "redispw", sentinelPassword: "sentinelpw", checkPassword: "checkpw" };

async function freePort(): Promise<number> {
    return new Promise((resolve) => {
        const srv = net.createServer().listen(0, "127.0.0.1", () => {
            const port = (srv.address() as net.AddressInfo).port;
            srv.close(() => resolve(port));
        });
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Redis with Sentinel behind HAProxy, on loopback", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-redis-"));
    const procs = new Map<string, ChildProcess>();
    let c: ReturnType<typeof configOf>;
    const at = (n: NodeSpec, file: string) => path.join(dir, n.name, file);

    /** redis-cli as Paperless's user; `host:port` directly or the route. */
    const cli = (port: number, args: string[], host = "127.0.0.1", auth: Record<string, string> = { REDISCLI_AUTH: secrets.password }) =>
        execFileSync("redis-cli", ["--no-auth-warning", "--raw", "-h", host, "-p", String(port), ...args], {
            env: { ...process.env, ...auth }, stdio: "pipe", timeout: 5000,
        }).toString().trim();
    const viaRoute = (args: string[]) => cli(c.app.redisRouterPort, args);
    /** Which Redis the route reaches, by its bind address. */
    const routedTo = () => {
        try {
            return viaRoute(["CONFIG", "GET", "bind"]).split("\n")[1];
        } catch {
            return "none";
        }
    };

    /** The role helper's decision for `n`, then its Redis started with it, as the unit does. */
    const startRedis = (n: NodeSpec) => {
        const conf = renderRedisConf(c, n, secrets)
            .replace(/^bind .*$/m, `bind ${n.clusterAddress}`)
            .replace(/^pidfile .*$/m, `pidfile ${at(n, "redis.pid")}`)
            .replace(/^dir .*$/m, `dir ${path.join(dir, n.name)}`)
            .replace(/^include .*$/m, `include ${at(n, "role.conf")}`);
        fs.writeFileSync(at(n, "redis.conf"), conf);
        execFileSync("bash", [HELPER, at(n, "role-input.conf"), at(n, "role.conf")], { stdio: "pipe" });
        procs.set(`redis-${n.name}`, spawn("redis-server", [at(n, "redis.conf")], { stdio: "ignore" }));
    };

    beforeAll(async () => {
        const [redisPort, sentinelPort, redisRouterPort] = [await freePort(), await freePort(), await freePort()];
        c = configOf({
            nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, address: `127.0.0.${i + 1}` })),
            sshPrivateKey: "k",
            app: { redisPort, sentinelPort, redisRouterPort },
        });
        for (const n of c.nodes) {
            fs.mkdirSync(path.join(dir, n.name));
            fs.writeFileSync(at(n, "sentinel.pass"), secrets.sentinelPassword, { mode: 0o600 });
            fs.writeFileSync(at(n, "role-input.conf"), renderRoleConf(c, n)
                .replace(/^state .*$/m, `state ${at(n, "sentinel.conf")}`)
                .replace(/^password .*$/m, `password ${at(n, "sentinel.pass")}`));
        }
        for (const n of c.nodes) startRedis(n);
        for (const n of c.nodes) {
            const master = execFileSync("bash", [HELPER, at(n, "role-input.conf"), "--master"], { stdio: "pipe" }).toString().trim();
            fs.writeFileSync(at(n, "sentinel.conf"), renderSentinelConf(c, n, secrets)
                .replace(/^bind .*$/m, `bind ${n.clusterAddress}`)
                .replace(/^pidfile .*$/m, `pidfile ${at(n, "sentinel.pid")}`)
                .replaceAll("@MASTER@", master));
            procs.set(`sentinel-${n.name}`, spawn("redis-sentinel", [at(n, "sentinel.conf")], { stdio: "ignore" }));
        }
        // The rendered route alone, behind the rendered global section's essentials.
        const route = renderHaproxyCfg(c, secrets.checkPassword).split("\n\n").find((b) => b.startsWith("listen redis"))!;
        fs.writeFileSync(path.join(dir, "haproxy.cfg"), `global\n    maxconn 256\n\ndefaults\n    timeout connect 500ms\n\n${route}\n`);
        procs.set("haproxy", spawn("haproxy", ["-f", path.join(dir, "haproxy.cfg")], { stdio: "ignore" }));
        for (let i = 0; i < 200 && routedTo() !== "127.0.0.2"; i++) await sleep(100);
    }, 60_000);

    afterAll(() => {
        for (const p of procs.values()) p.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("routes to the first node's Redis, the master of a new cluster; the others replicate it", async () => {
        expect(routedTo()).toBe("127.0.0.2");
        expect(viaRoute(["ROLE"]).split("\n")[0]).toBe("master");
        // A master takes writes once a replica is in sync (min-replicas-to-write).
        let set = "";
        for (let i = 0; i < 150 && set !== "OK"; i++, await sleep(100)) set = viaRoute(["SET", "paperless-ha-test", "kept"]);
        expect(set).toBe("OK");
        for (const n of c.nodes.slice(1)) {
            let got = "";
            for (let i = 0; i < 150 && got !== "kept"; i++, await sleep(100)) got = cli(c.app.redisPort, ["GET", "paperless-ha-test"], n.clusterAddress);
            expect(got, n.name).toBe("kept");
            expect(cli(c.app.redisPort, ["ROLE"], n.clusterAddress).split("\n")[0], n.name).toBe("slave");
        }
    });

    it("asks a password of everyone; the check user may ask the role and nothing else", () => {
        expect(cli(c.app.redisPort, ["GET", "paperless-ha-test"], "127.0.0.2", {})).toMatch(/NOAUTH/);
        const check = { REDISCLI_AUTH: secrets.checkPassword };
        const asCheck = (args: string[]) => cli(c.app.redisPort, ["--user", REDIS_CHECK_USER, ...args], "127.0.0.2", check);
        expect(asCheck(["ROLE"]).split("\n")[0]).toBe("master");
        expect(asCheck(["GET", "paperless-ha-test"])).toMatch(/NOPERM/);
        expect(asCheck(["CONFIG", "GET", "requirepass"])).toMatch(/NOPERM/);
        expect(cli(c.app.sentinelPort, ["SENTINEL", "masters"], "127.0.0.3", {})).toMatch(/NOAUTH/);
    });

    it("follows the master Sentinel promotes when the old one's process dies, and takes the old one back as a replica", async () => {
        // Every Sentinel knows the other two and both replicas before the master goes.
        const sentinel = (n: NodeSpec, what: string) => cli(c.app.sentinelPort, ["SENTINEL", what, "paperless"], n.clusterAddress, { REDISCLI_AUTH: secrets.sentinelPassword });
        const count = (text: string) => (text.match(/^name$/gm) ?? []).length;
        for (let i = 0; i < 150 && !c.nodes.every((n) => count(sentinel(n, "sentinels")) === 2 && count(sentinel(n, "replicas")) === 2); i++) await sleep(200);
        const t0 = Date.now();
        procs.get("redis-node1")!.kill("SIGKILL");
        let now = "127.0.0.2";
        // Votes split between Sentinels are tried again after 2 x failover-timeout (20 s).
        while (Date.now() - t0 < 45_000 && (now === "127.0.0.2" || now === "none")) {
            await sleep(200);
            now = routedTo();
        }
        const seconds = (Date.now() - t0) / 1000;
        console.log(`Redis master lost: the route reached the new master (${now}) after ${seconds.toFixed(1)} s`);
        if (now === "none") console.log(c.nodes.slice(1).map((n) => sentinel(n, "master")).join("\n---\n"));
        expect(["127.0.0.3", "127.0.0.4"]).toContain(now);
        expect(viaRoute(["GET", "paperless-ha-test"])).toBe("kept");
        // The new master takes writes once the other replica follows it (min-replicas-to-write).
        let set = "";
        while (Date.now() - t0 < 60_000 && set !== "OK") {
            set = viaRoute(["SET", "paperless-ha-test", "after"]);
            if (set !== "OK") await sleep(200);
        }
        expect(set).toBe("OK");
        console.log(`Redis master lost: writes taken again after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

        // Back, node1 asks the Sentinels first and starts as the new master's replica.
        startRedis(c.nodes[0]);
        expect(fs.readFileSync(at(c.nodes[0], "role.conf"), "utf8")).toBe(`replicaof ${now} ${c.app.redisPort}\n`);
        let role = "";
        for (let i = 0; i < 150 && role !== "slave"; i++, await sleep(100)) {
            try {
                role = cli(c.app.redisPort, ["ROLE"], "127.0.0.2").split("\n")[0];
            } catch { /* starting */ }
        }
        expect(role).toBe("slave");
        expect(routedTo()).toBe(now);
    }, 90_000);
});
