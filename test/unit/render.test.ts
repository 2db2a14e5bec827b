import { execFileSync, spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { envList, paperlessEnv, publicUrl, renderDotenv, trustedOrigins, withSecretFiles } from "../../components/app";
import { nodeDsn, postgresSettings, renderPgHba, renderPkOffsetsSql } from "../../components/database";
import { allowedHosts, PGACTIVE_WRITER_RISE, renderDrainAgentService, renderDrainAgentSocket, renderHaproxyCfg } from "../../components/edge";
import { inlineScript, packagesFor, renderDockerDaemon, renderFirewall, renderHostsBlock, renderStdin, renderSysctl, rootShell, shellQuote, stepShell } from "../../components/host";
import { nodeSans } from "../../components/pki";
import { renderRedisConf, renderSentinelConf } from "../../components/redis";
import { backupServers, glusterPlan } from "../../components/storage";
import { configOf } from "./harness";

const cluster = (n = 3, extra: Record<string, unknown> = {}) => configOf({
    nodes: Array.from({ length: n }, (_, i) => ({ name: `node${i + 1}`, address: `10.0.0.${11 + i}` })),
    sshPrivateKey: "k",
    database: { pgactive: { maxNodes: Math.max(4, n) } },
    ...extra,
});
const secrets = { dbPassword: "dbpw", secretKey: "sk", redisPassword: "rpw", adminPassword: "apw" };

describe("host script transport", () => {
    it("quotes every value so bash reads it back byte for byte", () => {
        const tricky = `it's "quoted" $HOME \`id\` \\ back\nslash; rm -rf /tmp/nothing`;
        const stdin = renderStdin('printf "%s" "$VALUE"', { VALUE: tricky });
        expect(execFileSync("bash", ["-s"], { input: stdin }).toString()).toBe(tricky);
        expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
    });

    it("refuses variable names the shell would not take", () => {
        expect(() => renderStdin("true", { "BAD-NAME": "x" })).toThrow(/invalid script variable name 'BAD-NAME'/);
    });

    it("inlines delete scripts with plain values and sudo when needed", () => {
        const login = { node: "n", connection: { host: "h" }, sudo: true };
        const cmd = inlineScript(login, 'echo "$A"', { A: "x y" });
        expect(cmd).toBe(`sudo -n env A='x y' bash -c 'echo "$A"'`);
        expect(execFileSync("bash", ["-c", cmd.replace(/^sudo -n /, "")]).toString()).toBe("x y\n");
    });

    it("hands the login's SSH_CONNECTION through sudo's cleared environment to the script", () => {
        const shell = rootShell({ sudo: true });
        // `env -i` clears the environment as sudo does; the login shell expands the variable first.
        const asSudo = shell.replace(/^sudo -n env /, "env -i ");
        const env = { PATH: process.env.PATH, SSH_CONNECTION: "198.51.100.7 50022 10.0.0.11 22" };
        expect(execFileSync("bash", ["-c", asSudo], { input: 'echo "$SSH_CONNECTION"', env }).toString()).toBe("198.51.100.7 50022 10.0.0.11 22\n");
        expect(rootShell({ sudo: false })).toBe("bash -s");
    });

    it("stops a step that outlasts its limit, with its children, and names it; other failures keep their status", () => {
        const run = (script: string, limit: number) => spawnSync("sh", ["-c", stepShell({ sudo: false }, "node2-base", limit)], { input: script, encoding: "utf8" });
        const started = Date.now();
        const hung = run("sleep 30 & wait", 1);
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(hung.status).toBe(124);
        expect(hung.stderr).toBe("step node2-base did not finish within 1s and was stopped\n");
        const failed = run("echo partial >&2; exit 3", 5);
        expect([failed.status, failed.stderr]).toEqual([3, "partial\n"]);
        expect(run("echo done", 5).stdout).toBe("done\n");
        expect(stepShell({ sudo: true }, "x")).toMatch(/^sudo -n env SSH_CONNECTION="\$SSH_CONNECTION" timeout -k 30 3600 bash -s \|\| /);
    });
});

describe("host renderers", () => {
    it("renders the seed's sysctl tuning with overrides", () => {
        const text = renderSysctl({ "vm.swappiness": 1 });
        expect(text).toContain("vm.swappiness = 1\n");
        expect(text).toContain("net.core.rmem_max = 134217728\n");
        expect(text).toContain("net.ipv4.tcp_rmem = 4096 87380 134217728\n");
        expect(text.match(/vm\.swappiness/g)).toHaveLength(1);
    });

    it("lists every node in /etc/hosts by cluster address", () => {
        expect(renderHostsBlock(cluster(2, { nodes: [
            { name: "a", address: "a.example.com", clusterAddress: "10.9.0.1" },
            { name: "b", address: "10.9.0.2" },
            { name: "w", address: "10.9.0.3", roles: ["arbiter"] },
        ] }).nodes)).toBe("10.9.0.1 a\n10.9.0.2 b\n10.9.0.3 w\n");
    });

    it("opens cluster ports to the nodes only and management ports to the configured sources", () => {
        const c = cluster(3, { firewall: { managementCidrs: ["192.0.2.0/24", "2001:db8::/32"] } });
        const rules = renderFirewall(c, 22);
        expect(rules).toContain("policy drop;");
        expect(rules).toContain("ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.13 } tcp dport { 5432, 24007-24008, 49152-60999, 6379, 26379, 8000, 8405, 9100, 9187 } accept");
        expect(rules).toContain("ip saddr { 192.0.2.0/24 } tcp dport { 22, 2376, 9090 } accept");
        expect(rules).toContain("ip6 saddr { 2001:db8::/32 } tcp dport { 22, 2376, 9090 } accept");
        expect(rules).toContain("tcp dport { 80, 443 } accept");
        // No cluster port is open to the world.
        expect(rules).not.toMatch(/^\s+tcp dport \{[^}]*5432/m);
    });

    it("installs only what a node's roles need", () => {
        const c = cluster(2, { nodes: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }, { name: "w", address: "10.0.0.99", roles: ["arbiter"] }] });
        expect(packagesFor(c.nodes[0], c)).toEqual(expect.arrayContaining(["postgresql-15", "docker.io", "haproxy", "glusterfs-server", "chrony"]));
        expect(packagesFor(c.nodes[2], c)).not.toEqual(expect.arrayContaining(["postgresql-15"]));
        expect(packagesFor(c.nodes[2], c)).not.toContain("docker.io");
    });

    it("serves the Docker API only with client-certificate verification against its own CA", () => {
        const daemon = JSON.parse(renderDockerDaemon());
        expect(daemon).toMatchObject({ tls: true, tlsverify: true, tlscacert: "/etc/docker/tls/api-ca.crt" });
        expect(daemon.hosts).toBeUndefined();
    });

    it("names every address of a node in its certificate", () => {
        expect(nodeSans({ name: "n1", address: "n1.example.com", clusterAddress: "10.0.0.1", id: 1, roles: [], arbiter: false }, ["paperless.example.com"]))
            .toEqual({ dnsNames: ["n1", "n1.example.com", "localhost", "paperless.example.com"], ipAddresses: ["10.0.0.1", "127.0.0.1"] });
    });
});

describe("storage plan", () => {
    it("makes a plain volume on one node, without quorum", () => {
        const p = glusterPlan(cluster(1));
        expect(p).toEqual({ bricks: ["10.0.0.11:/srv/gluster/paperless/brick"], arbiter: false, options: {}, quorumRatio: "" });
    });

    it("replicates across three nodes with client and server quorum", () => {
        const p = glusterPlan(cluster(3, { storage: { gluster: { options: { "performance.cache-size": "256MB" } } } }));
        expect(p.bricks).toHaveLength(3);
        expect(p.options).toMatchObject({ "cluster.quorum-type": "auto", "cluster.server-quorum-type": "server", "performance.cache-size": "256MB" });
        expect(p.quorumRatio).toBe("51%");
    });

    it("puts the arbiter brick last", () => {
        const c = configOf({ sshPrivateKey: "k", nodes: [
            { name: "w", address: "10.0.0.9", roles: ["arbiter"] }, { name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2" }] });
        const p = glusterPlan(c);
        expect(p.arbiter).toBe(true);
        expect(p.bricks[2]).toBe("10.0.0.9:/srv/gluster/paperless/brick");
        expect(backupServers(c, c.nodes[1])).toEqual(["10.0.0.9", "10.0.0.2"]);
    });
});

describe("database renderers", () => {
    it("configures pgactive's prerequisites and lets user settings win", () => {
        const c = cluster(3, { database: { settings: { shared_buffers: "1GB", max_connections: 50 } } });
        const s = postgresSettings(c, c.nodes[1]);
        expect(s).toMatchObject({
            wal_level: "logical", track_commit_timestamp: true, shared_preload_libraries: "pgactive",
            "pgactive.max_nodes": 4, "pgactive.skip_ddl_replication": false, ssl: true,
            listen_addresses: "10.0.0.12,localhost", shared_buffers: "1GB", max_connections: 50,
        });
    });

    it("admits the cluster's addresses only, over TLS with SCRAM", () => {
        const hba = renderPgHba(cluster(3));
        for (const ip of ["10.0.0.11", "10.0.0.12", "10.0.0.13"]) {
            expect(hba).toContain(`hostssl paperless paperless ${ip}/32 scram-sha-256`);
            expect(hba).toContain(`hostssl replication pgactive ${ip}/32 scram-sha-256`);
        }
        expect(hba).not.toMatch(/0\.0\.0\.0\/0|\btrust\b|\bmd5\b|^host\s/m);
    });

    it("verifies the peer's certificate in the DSN and carries no password", () => {
        const c = cluster(3);
        const dsn = nodeDsn(c, c.nodes[2]);
        expect(dsn).toBe("host=10.0.0.13 port=5432 dbname=paperless user=pgactive sslmode=verify-full sslrootcert=/var/lib/postgresql/paperless-ha-tls/ca.crt");
    });

    it("rejects a node id outside the stride", () => {
        expect(() => renderPkOffsetsSql(4, 5)).toThrow(/node id must be in 1..4/);
        expect(() => renderPkOffsetsSql(0, 1)).toThrow(/stride/);
        expect(renderPkOffsetsSql(4, 4)).toContain("((0 - (hi + 1)) % 4 + 4) % 4");
    });
});

describe("app renderers", () => {
    it("connects each instance to the database and to the Redis master through its node's HAProxy, wherever the master started", () => {
        const c = cluster(3, { nodes: [
            { name: "node1", address: "10.0.0.11" }, { name: "node2", address: "10.0.0.12", roles: ["redis"] }, { name: "node3", address: "10.0.0.13" }] });
        const env = paperlessEnv(c, c.nodes[2], secrets);
        expect(env).toMatchObject({
            PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: "5433", PAPERLESS_DBSSLMODE: "verify-full", PAPERLESS_REDIS: "redis://:rpw@127.0.0.1:6380/0",
            PAPERLESS_CONSUMER_DISABLE: "1", PAPERLESS_EMAIL_TASK_CRON: "disable",
            PAPERLESS_PROXY_SSL_HEADER: '["HTTP_X_FORWARDED_PROTO", "https"]', PAPERLESS_OCR_LANGUAGES: "eng",
        });
        expect(env.PAPERLESS_ADMIN_PASSWORD).toBeUndefined();
        expect(paperlessEnv(c, c.nodes[0], secrets)).toMatchObject({ PAPERLESS_ADMIN_PASSWORD: "apw", PAPERLESS_CONSUMER_POLLING: "10" });
        expect(paperlessEnv(c, c.nodes[0], secrets).PAPERLESS_EMAIL_TASK_CRON).toBeUndefined();
        expect(envList({ B: "2", A: "1" })).toEqual(["A=1", "B=2"]);
    });

    it("moves every secret into a file and leaves its name in the environment", () => {
        const c = cluster(3);
        const { env, files } = withSecretFiles(paperlessEnv(c, c.nodes[0], secrets));
        expect(Object.values(env).some((v) => ["dbpw", "sk", "apw"].includes(v) || v.includes("rpw"))).toBe(false);
        expect(env.PAPERLESS_DBPASS_FILE).toBe("/run/secrets/paperless_db_password");
        expect(files).toEqual({
            "/run/secrets/paperless_db_password": "dbpw", "/run/secrets/paperless_secret_key": "sk",
            "/run/secrets/paperless_admin_password": "apw", "/run/secrets/paperless_redis_url": "redis://:rpw@127.0.0.1:6380/0",
        });
    });

    it("names the public URL and the origins a sign-in may come from", () => {
        expect(publicUrl(cluster(3))).toBeUndefined();
        expect(trustedOrigins(cluster(3))).toEqual([]);
        const named = cluster(3, { edge: { hostnames: ["docs.example.com", "fd00::9"], httpsPort: 8443 } });
        expect(publicUrl(named)).toBe("https://docs.example.com:8443");
        expect(trustedOrigins(named)).toEqual(["https://docs.example.com:8443", "https://[fd00::9]:8443"]);
        const url = cluster(3, { app: { url: "https://paperless.example.com/" }, edge: { hostnames: ["paperless.example.com"] } });
        expect(publicUrl(url)).toBe("https://paperless.example.com/");
        expect(trustedOrigins(url)).toEqual(["https://paperless.example.com"]);
        expect(paperlessEnv(url, url.nodes[1], secrets)).toMatchObject({
            PAPERLESS_URL: "https://paperless.example.com/", PAPERLESS_CSRF_TRUSTED_ORIGINS: "https://paperless.example.com",
        });
        // The swarm sits behind the same edge; without one, there is no proxy header to trust and no edge name.
        const swarm = cluster(3, { topology: "swarm", edge: { hostnames: ["docs.example.com"] } });
        expect(paperlessEnv(swarm, swarm.nodes[0], secrets)).toMatchObject({ PAPERLESS_PROXY_SSL_HEADER: '["HTTP_X_FORWARDED_PROTO", "https"]', PAPERLESS_URL: "https://docs.example.com" });
        const bare = cluster(3, { topology: "swarm", edge: { enabled: false, hostnames: ["docs.example.com"] } });
        expect(paperlessEnv(bare, bare.nodes[0], secrets)).not.toHaveProperty("PAPERLESS_PROXY_SSL_HEADER");
        expect(publicUrl(bare)).toBeUndefined();
    });

    it("writes a settings file python-dotenv reads back byte for byte", () => {
        const env = { PAPERLESS_A: "it's $HOME `x` \\n #no-comment", PAPERLESS_B: "two\nlines", PAPERLESS_C: "" };
        const read = execFileSync("/usr/bin/python3", ["-c", "import json, sys; from dotenv import dotenv_values; print(json.dumps(dotenv_values(stream=sys.stdin)))"],
            { input: renderDotenv(env), encoding: "utf8" });
        expect(JSON.parse(read)).toEqual(env);
    });

    it("sends every instance to its node's route to the Redis master; binds Redis and Sentinel to the cluster address, IPv6 bracketed where a port follows", () => {
        const c = configOf({ sshPrivateKey: "k", nodes: [{ name: "a", address: "fd00::1" }, { name: "b", address: "fd00::2" }, { name: "c", address: "fd00::3" }] });
        expect(paperlessEnv(c, c.nodes[0], secrets).PAPERLESS_REDIS).toBe("redis://:rpw@127.0.0.1:6380/0");
        const s = { password: "rpw", sentinelPassword: "spw", checkPassword: "cpw" };
        expect(renderRedisConf(c, c.nodes[1], s)).toContain("bind fd00::2 127.0.0.1\n");
        expect(renderSentinelConf(c, c.nodes[1], s)).toContain("bind fd00::2 127.0.0.1\n");
        expect(renderHaproxyCfg(c, "cpw")).toContain("    server b [fd00::2]:6379 check\n");
        expect(() => renderRedisConf(c, c.nodes[0], { ...s, password: "a b" })).toThrow(/letters, digits/);
        expect(() => renderHaproxyCfg(c, "x\ny")).toThrow(/letters, digits/);
    });
});

describe("load balancer", () => {
    it("balances over every data node with an /api/ health check", () => {
        const cfg = renderHaproxyCfg(cluster(3), "cpw");
        expect(cfg).toContain("http-check send meth GET uri /api/ ver HTTP/1.1 hdr Host localhost");
        expect(cfg.match(/^ {4}server node\d 10\.0\.0\.\d+:8000 /gm)).toHaveLength(3);
        expect(cfg).toContain("server node2 10.0.0.12:8000 check");
        expect(cfg).toContain("bind :443 ssl crt /etc/haproxy/paperless-ha.pem");
    });

    it("routes every instance's database connections to one pgactive writer: the first listed node up, the others standbys in order", () => {
        const cfg = renderHaproxyCfg(cluster(3), "cpw");
        const router = cfg.slice(cfg.indexOf("listen postgres"));
        expect(router).toContain("bind 127.0.0.1:5433\n    mode tcp\n");
        expect(router).toContain("default-server inter 2s fall 2 rise 2 on-marked-down shutdown-sessions\n");
        expect(router.match(/^ {4}server .*$/gm)).toEqual([
            `    server node1 10.0.0.11:5432 check rise ${PGACTIVE_WRITER_RISE} on-marked-up shutdown-backup-sessions`,
            "    server node2 10.0.0.12:5432 check backup",
            "    server node3 10.0.0.13:5432 check backup",
        ]);
        // Not `allbackups`: one standby at a time takes the writes.
        expect(router).not.toContain("allbackups");
    });

    it("asks every node's drain agent whether its instance takes new requests", () => {
        const cfg = renderHaproxyCfg(cluster(3), "cpw");
        expect(cfg).toContain("default-server inter 2s fastinter 500ms fall 3 rise 2 agent-check agent-port 8405 agent-inter 1s");
        expect(renderDrainAgentSocket("10.0.0.12", 8405)).toContain("ListenStream=10.0.0.12:8405\n");
        expect(renderDrainAgentSocket("fd00::12", 8405)).toContain("ListenStream=[fd00::12]:8405\n");
        expect(() => renderDrainAgentSocket("node2\nExecStart=/bin/sh", 8405)).toThrow(/not an IP address/);
        expect(renderDrainAgentService()).toContain("ExecStart=/bin/sh -c 'cat /run/paperless-ha/app-agent 2>/dev/null || echo ready'");
    });

    it("lets in only the Hosts the cluster is reached by, before any redirect", () => {
        const c = cluster(3, { edge: { hostnames: ["Paperless.example.com", "fd00::99"] }, app: { url: "https://docs.example.com" } });
        const hosts = allowedHosts(c);
        expect(hosts).toEqual(expect.arrayContaining(["10.0.0.12", "10.0.0.12:443", "paperless.example.com:80", "[fd00::99]:443", "docs.example.com", "localhost", "[::1]"]));
        expect(hosts.filter((h) => h.includes("fd00::99") && !h.startsWith("["))).toEqual([]);
        const cfg = renderHaproxyCfg(c, "cpw");
        expect(cfg.indexOf("http-request deny deny_status 400 unless { req.hdr(host),lower -m str ")).toBeGreaterThan(0);
        expect(cfg.indexOf("http-request deny")).toBeLessThan(cfg.indexOf("http-request redirect scheme https"));
    });

    it("serves plain HTTP when TLS is off", () => {
        const cfg = renderHaproxyCfg(cluster(3, { edge: { tls: false, httpPort: 8080 } }), "cpw");
        expect(cfg).toContain("bind :8080");
        expect(cfg).not.toContain("ssl crt");
    });
});
