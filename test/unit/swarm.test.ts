/** The swarm topology's resource graph under mocks: names, secrets, ordering and growth. */
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { plain, plainStrings, ProgramRun, Recorded, runProgram, scriptVar, swarmConfig } from "./harness";
import { stepShell } from "../../components/host";

const COMMAND = "command:remote:Command";
const SECRET = "docker:index/secret:Secret";
const CONFIG = "docker:index/serviceConfig:ServiceConfig";
const nodeNames = (n: number) => Array.from({ length: n }, (_, i) => `node${i + 1}`);
const names = (run: ProgramRun) => run.resources.map((r) => r.name).sort();
const stdin = (run: ProgramRun, name: string) => String((plain(run.byName(name).inputs) as Record<string, unknown>).stdin);
const stackOf = (run: ProgramRun, stack: string) => parse(scriptVar(stdin(run, `${stack}-deploy`), "STACK_YAML")) as {
    services: Record<string, { image: string; environment?: Record<string, string>; command?: string[]; secrets?: { source: string }[]; configs?: { source: string; target: string }[]; deploy: { mode: string; placement?: { constraints: string[] }; update_config?: { failure_action: string } } }>;
    secrets: Record<string, { external: boolean; name: string }>;
    configs: Record<string, { external: boolean; name: string }>;
};

const DB_SECRETS = ["pg_superuser_password", "pg_replication_password", "pg_metrics_password", "patroni_api_password", "etcd_patroni_password", "etcd_client_cert", "etcd_client_key",
    "pgbouncer_userlist"];
const APP_SECRETS = ["paperless_db_password", "paperless_secret_key", "paperless_admin_password", "paperless_redis_url"];

/** Every resource name the swarm topology registers for `nodes` (the first three are managers). */
function expectedNames(nodes: string[]): string[] {
    const perNode = (n: string) => [
        n, `${n}-host-key-check`, `${n}-base`, `${n}-hosts`, `${n}-firewall`, `${n}-tls`, `${n}-docker`, `${n}-docker-api`,
        `pki-${n}-key`, `pki-${n}-csr`, `pki-${n}-cert`,
        `db-${n}-image`, `db-${n}-dirs`, `db-${n}-etcd`, `paperless-db-config-patroni-${n}`,
        `seaweedfs-${n}-dirs`, `seaweedfs-${n}-mount`, `app-${n}-dirs`, `app-${n}-index`, `monitoring-${n}-metrics`, `edge-${n}-haproxy`, `redis-${n}`,
    ];
    return [
        "secrets", ...["db-superuser", "db-replication", "db-app", "paperless-secret-key", "admin", "redis", "redis-sentinel", "redis-check", "patroni-api", "etcd-patroni", "db-filer", "db-metrics", "docker-name-key"].map((s) => `secrets-${s}`),
        "pki", "pki-ca-key", "pki-ca", "pki-docker-api-ca-key", "pki-docker-api-ca", "pki-operator-key", "pki-operator-csr", "pki-operator-cert",
        ...["etcd-root", "etcd-client"].flatMap((r) => [`pki-${r}-key`, `pki-${r}-csr`, `pki-${r}-cert`]),
        "swarm", "swarm-rejoin", "swarm-init", ...nodes.slice(1).flatMap((n) => [`swarm-${n}-join`, `swarm-${n}-label`]),
        "db", "paperless-db", "paperless-db-deploy", "db-etcd-auth", "db-bootstrap", "db-dcs", "paperless-db-config-router", "paperless-db-config-pgbouncer",
        ...DB_SECRETS.map((s) => `paperless-db-secret-${s}`),
        "seaweedfs", "paperless-storage", "paperless-storage-deploy", "paperless-storage-config-filer", "paperless-storage-secret-seaweedfs_db_password",
        "app", "app-major-stop", "app-migrate", "paperless-app", "edge", "redis", "monitoring", "backup", "membership-guard", "db-handover", "backup-node1-timer", "paperless-app-deploy",
        ...APP_SECRETS.map((s) => `paperless-app-secret-${s}`),
        ...nodes.flatMap(perNode),
    ].sort();
}

describe("swarm resource graph", () => {
    it.each([3, 5])("has exactly the expected resources for %i nodes", async (n) => {
        const run = await runProgram(swarmConfig(n));
        expect(names(run)).toEqual(expectedNames(nodeNames(n)));
        expect(run.outputs.topology).toBe("swarm");
    });

    it("joins the first three nodes as managers and the rest as workers, through the first node", async () => {
        const run = await runProgram(swarmConfig(5));
        const token = (n: string) => String((plain(run.byName(`swarm-${n}-join`).inputs) as Record<string, unknown>).stdin);
        expect(token("node2")).toContain("export JOIN_TOKEN='SECRET-manager-join-token'");
        expect(token("node3")).toContain("export JOIN_TOKEN='SECRET-manager-join-token'");
        expect(token("node4")).toContain("export JOIN_TOKEN='SECRET-worker-join-token'");
        expect(token("node5")).toContain("export MANAGER_ADDR='10.0.0.11:2377'");
        // Labels are set from the first manager with the ID each join printed.
        expect(run.byName("swarm-node4-label").deps).toContain("swarm-node4-join");
        expect((plain(run.byName("swarm-node4-label").inputs) as { connection: { host: string } }).connection.host).toBe("10.0.0.11");
    });

    it("runs etcd and masters on the managers, Patroni, volume, filer and S3 on every node, and the router, PgBouncer and exporter everywhere", async () => {
        const run = await runProgram(swarmConfig(5));
        const db = stackOf(run, "paperless-db");
        expect(Object.keys(db.services).sort()).toEqual([
            "etcd-node1", "etcd-node2", "etcd-node3", "exporter", "pgbouncer",
            ...nodeNames(5).map((n) => `patroni-${n}`), "router",
        ].sort());
        expect(db.services["patroni-node4"].deploy.placement?.constraints).toEqual(["node.labels.paperless-ha.node == node4"]);
        for (const s of ["router", "pgbouncer", "exporter"]) expect(db.services[s].deploy.mode).toBe("global");
        // A one-task service's update goes on past a failed first start; a global one still pauses at its first node.
        expect(db.services["patroni-node4"].deploy.update_config).toEqual({ failure_action: "continue" });
        expect(stackOf(run, "paperless-app").services["paperless-node1"].deploy.update_config).toEqual({ failure_action: "continue" });
        expect(db.services.router.deploy.update_config).toBeUndefined();
        // etcd and Patroni start from host files: no service names another node's address.
        expect(db.services["etcd-node2"].command).toEqual(["--config-file", "/etc/paperless-ha/etcd/etcd.yml"]);
        expect(JSON.stringify(db.services["etcd-node2"])).not.toMatch(/10\.0\.0\.1[13]/);
        const etcd = stdin(run, "db-node2-etcd");
        expect(parse(scriptVar(etcd, "ETCD_CONF"))).toMatchObject({
            name: "node2",
            "data-dir": "/var/lib/etcd/data",
            "listen-client-urls": "https://10.0.0.12:2379,https://127.0.0.1:2379",
            "initial-advertise-peer-urls": "https://10.0.0.12:2380",
            "initial-cluster": "node1=https://10.0.0.11:2380,node2=https://10.0.0.12:2380,node3=https://10.0.0.13:2380",
            "initial-cluster-state": "new",
            "client-transport-security": { "client-cert-auth": true, "trusted-ca-file": "/etc/paperless-ha/tls/ca.crt" },
            "peer-transport-security": { "client-cert-auth": true, "cert-file": "/etc/paperless-ha/tls/node.crt" },
        });
        expect(scriptVar(etcd, "ETCD_HOSTS")).toBe("10.0.0.11:2379\n10.0.0.12:2379\n10.0.0.13:2379\n");
        expect(scriptVar(etcd, "OTHERS")).toBe("https://10.0.0.11:2379 https://10.0.0.13:2379");
        // A worker only learns where etcd is.
        expect(stdin(run, "db-node4-etcd")).not.toContain("export ETCD_CONF=");

        const storage = stackOf(run, "paperless-storage");
        expect(Object.keys(storage.services).filter((s) => s.startsWith("master-")).sort()).toEqual(["master-node1", "master-node2", "master-node3"]);
        expect(Object.keys(storage.services).filter((s) => /^(volume|filer|s3)-/.test(s))).toHaveLength(15);
        const master = storage.services["master-node2"].command ?? [];
        expect(master).toContain("-peers=10.0.0.11:9333,10.0.0.12:9333,10.0.0.13:9333");
        expect(master).toContain("-defaultReplication=001");

        const app = stackOf(run, "paperless-app");
        expect(Object.keys(app.services).sort()).toEqual(nodeNames(5).map((n) => `paperless-${n}`).sort());
    });
});

describe("swarm on GlusterFS", () => {
    it("replaces the SeaweedFS stack and mounts with the Gluster volume, and Paperless keeps its media there", async () => {
        const run = await runProgram({ ...swarmConfig(3), storage: { backend: "glusterfs" } });
        const all = names(run);
        expect(all.filter((n) => n.includes("seaweedfs") || n.startsWith("paperless-storage"))).toEqual([]);
        expect(all).toContain("gluster-volume");
        for (const n of nodeNames(3)) {
            expect(run.dependsOn("paperless-app-deploy", `gluster-${n}-mount`), n).toBe(true);
            expect(stdin(run, `${n}-base`)).toMatch(/export PACKAGES='[^']*glusterfs-server/);
        }
        const app = stackOf(run, "paperless-app");
        expect(JSON.stringify(app.services["paperless-node2"])).toContain("/mnt/paperless/media:/usr/src/paperless/media");
    });
});

describe("swarm secrets", () => {
    const leaks = (run: ProgramRun, r: Recorded) => plainStrings(r.inputs)
        .filter(({ value }) => run.secretValues.some((s) => value.includes(s)))
        .map(({ path }) => `${r.name}.${path}`);

    it("never appear in a plain input, a command line or a stack file", async () => {
        const run = await runProgram(swarmConfig(3));
        expect(run.secretValues).toContain("SECRET-worker-join-token");
        expect(run.resources.flatMap((r) => leaks(run, r))).toEqual([]);
        for (const r of run.resources.filter((x) => x.type === COMMAND)) {
            const inputs = plain(r.inputs) as Record<string, unknown>;
            for (const k of ["create", "update", "delete"]) {
                expect(run.secretValues.filter((s) => String(inputs[k] ?? "").includes(s)), `${r.name}.${k}`).toEqual([]);
            }
        }
        for (const stack of ["paperless-db", "paperless-storage", "paperless-app"]) {
            const text = scriptVar(stdin(run, `${stack}-deploy`), "STACK_YAML");
            expect(run.secretValues.filter((s) => text.includes(s)), stack).toEqual([]);
        }
    });

    it("travel as Docker secrets the services read as files", async () => {
        const run = await runProgram(swarmConfig(3));
        const data = (name: string) => Buffer.from(String(plain(run.byName(name).inputs.data)), "base64").toString();
        expect(plainStrings(run.byName("paperless-db-secret-pg_superuser_password").inputs.data)).toEqual([]);
        expect(data("paperless-db-secret-pg_superuser_password")).toBe("SECRET-password-secrets-db-superuser");
        expect(data("paperless-db-secret-pgbouncer_userlist")).toBe('"paperless" "SECRET-password-secrets-db-app"\n');
        expect(data("paperless-app-secret-paperless_redis_url")).toBe("redis://:SECRET-password-secrets-redis@127.0.0.1:6380/0");

        const app = stackOf(run, "paperless-app");
        const env = app.services["paperless-node2"].environment ?? {};
        expect(env.PAPERLESS_DBPASS_FILE).toBe("/run/secrets/paperless_db_password");
        expect(env.PAPERLESS_REDIS_FILE).toBe("/run/secrets/paperless_redis_url");
        expect(env).not.toHaveProperty("PAPERLESS_DBPASS");
        expect(env).not.toHaveProperty("PAPERLESS_ADMIN_PASSWORD_FILE");
        // A secret is referenced by the name its resource was created under.
        const name = String(plain(run.byName("paperless-app-secret-paperless_db_password").inputs.name));
        expect(app.secrets.paperless_db_password).toEqual({ external: true, name });
        expect(name).toMatch(/^paperless-app_paperless_db_password_[0-9a-f]{12}$/);
    });
});

describe("swarm ordering", () => {
    const after = (run: ProgramRun, later: string, earlier: string) =>
        expect(run.dependsOn(later, earlier), `${later} must depend on ${earlier}`).toBe(true);

    it("deploys no stack before every node joined and its secrets and configs exist", async () => {
        const run = await runProgram(swarmConfig(3));
        for (const stack of ["paperless-db", "paperless-storage", "paperless-app"]) {
            const deploy = `${stack}-deploy`;
            after(run, deploy, "swarm-init");
            for (const n of ["node2", "node3"]) after(run, deploy, `swarm-${n}-label`);
            const own = run.resources.filter((r) => (r.type === SECRET || r.type === CONFIG) && r.name.startsWith(`${stack}-`));
            expect(own.length).toBeGreaterThan(0);
            for (const r of own) {
                expect(run.byName(deploy).deps).toContain(r.name);
                after(run, r.name, "swarm-init");
            }
        }
        for (const n of nodeNames(3)) after(run, "paperless-db-deploy", `db-${n}-image`);
    });

    it("creates the filers' database before the storage stack, and migrates once before the app stack", async () => {
        const run = await runProgram(swarmConfig(3));
        after(run, "db-bootstrap", "paperless-db-deploy");
        after(run, "paperless-storage-deploy", "db-bootstrap");
        after(run, "paperless-storage-secret-seaweedfs_db_password", "db-bootstrap");
        for (const n of nodeNames(3)) {
            after(run, `seaweedfs-${n}-mount`, "paperless-storage-deploy");
            after(run, "paperless-app-deploy", `seaweedfs-${n}-mount`);
        }
        for (const n of ["node2", "node3"]) after(run, `seaweedfs-${n}-mount`, "seaweedfs-node1-mount");
        after(run, "app-migrate", "db-bootstrap");
        after(run, "paperless-app-deploy", "app-migrate");
        expect(stdin(run, "seaweedfs-node1-mount")).toContain("export MAKE_DIRS='media consume export scratch'");
        expect(stdin(run, "seaweedfs-node2-mount")).toContain("export MAKE_DIRS=''");
    });

    it("gives consumer, scheduler and admin to the singleton only; Redis runs on the hosts, not in the stack", async () => {
        const run = await runProgram(swarmConfig(3));
        const app = stackOf(run, "paperless-app");
        const s = app.services;
        expect(s["paperless-node1"].environment?.PAPERLESS_ADMIN_PASSWORD_FILE).toBe("/run/secrets/paperless_admin_password");
        expect(s["paperless-node1"].environment).not.toHaveProperty("PAPERLESS_CONSUMER_DISABLE");
        expect(s["paperless-node1"].environment).not.toHaveProperty("PAPERLESS_TRAIN_TASK_CRON");
        for (const n of ["node2", "node3"]) {
            expect(s[`paperless-${n}`].environment?.PAPERLESS_CONSUMER_DISABLE).toBe("1");
            expect(s[`paperless-${n}`].environment?.PAPERLESS_TRAIN_TASK_CRON).toBe("disable");
            expect(s[`paperless-${n}`].configs ?? []).toEqual([]);
            expect(s[`paperless-${n}`].environment?.PAPERLESS_DBPORT).toBe("6432");
        }
        expect(s).not.toHaveProperty("redis");
        // Migrations and the stack wait for every Redis and every route to the master.
        for (const n of ["node1", "node2", "node3"]) {
            expect(run.dependsOn("app-migrate", `redis-${n}`)).toBe(true);
            expect(run.dependsOn("app-migrate", `edge-${n}-haproxy`)).toBe(true);
        }
    });
});

describe("swarm growth 3 -> 4", () => {
    it("adds the new node and changes only the listed membership resources", async () => {
        const before = await runProgram(swarmConfig(3));
        const now = await runProgram(swarmConfig(4));
        const key = (r: Recorded) => `${r.type}::${r.name}`;
        const old = new Map(before.resources.map((r) => [key(r), r]));
        const cur = new Map(now.resources.map((r) => [key(r), r]));
        expect([...old.keys()].filter((k) => !cur.has(k))).toEqual([]);
        const added = [...cur.keys()].filter((k) => !old.has(k)).map((k) => k.split("::")[1]).sort();
        expect(added).toEqual(expectedNames(nodeNames(4)).filter((n) => !expectedNames(nodeNames(3)).includes(n)));
        expect(added.every((n) => n.includes("node4"))).toBe(true);

        const changed = [...old.keys()].filter((k) => JSON.stringify(old.get(k)!.inputs) !== JSON.stringify(cur.get(k)!.inputs)).sort();
        expect(changed).toEqual([
            // The etcd step tells each running Patroni of the node pg_hba now admits.
            // ...and every balancer of its instance.
            ...nodeNames(3).flatMap((n) => [`${n}-host-key-check`, `${n}-hosts`, `${n}-firewall`, `db-${n}-etcd`, `monitoring-${n}-metrics`, `edge-${n}-haproxy`, `redis-${n}`]),
            "paperless-app-deploy", "paperless-db-deploy", "paperless-storage-deploy", "db-handover",
        ].map((n) => `${COMMAND}::${n}`).concat(`${CONFIG}::paperless-db-config-router`).sort());
        for (const k of changed.filter((x) => x.startsWith(COMMAND) && !x.endsWith("-host-key-check"))) expect((plain(cur.get(k)!.inputs) as Record<string, unknown>).update).toBe(stepShell({ sudo: false }, k.split("::")[1]));

        // In the stacks, the services already running keep their exact spec and files: only node4's are
        // new, and the router (a rolling global service) gets the config that lists node4.
        for (const stack of ["paperless-db", "paperless-storage", "paperless-app"]) {
            const a = stackOf(before, stack);
            const b = stackOf(now, stack);
            const differing = Object.keys(b.services).filter((s) => JSON.stringify(a.services[s]) !== JSON.stringify(b.services[s]));
            expect(differing.filter((s) => !s.endsWith("node4")), stack).toEqual([]);
            const files = { ...b.configs, ...b.secrets };
            const was = { ...a.configs, ...a.secrets };
            const moved = Object.keys(files).filter((k) => JSON.stringify(files[k]) !== JSON.stringify(was[k]) && !k.endsWith("node4"));
            expect(moved, stack).toEqual(stack === "paperless-db" ? ["router"] : []);
        }
        expect(scriptVar(stdin(now, "seaweedfs-node4-mount"), "FILERS")).toBe("10.0.0.14:8888,10.0.0.11:8888,10.0.0.12:8888,10.0.0.13:8888");
    });
});
