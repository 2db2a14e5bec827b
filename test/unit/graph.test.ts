import { describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { isSecret } from "@pulumi/pulumi";
import { baseConfig, plain, plainStrings, ProgramFailure, ProgramRun, Recorded, runProgram, scriptVar, SSH_KEY, testHostKey } from "./harness";
import { stepShell } from "../../components/host";

const COMMAND = "command:remote:Command";

/** Every resource name the classic topology registers for data nodes `names` (first is first). */
function expectedNames(names: string[]): string[] {
    const rest = names.slice(1);
    const perNode = (n: string) => [
        n, `${n}-host-key-check`, `${n}-base`, `${n}-hosts`, `${n}-firewall`, `${n}-tls`, `${n}-docker`, `${n}-docker-api`,
        `pki-${n}-key`, `pki-${n}-csr`, `pki-${n}-cert`,
        `gluster-${n}-brick`, `gluster-${n}-mount`,
        `db-${n}-pgactive`, `db-${n}-postgres`, `db-${n}-access`,
        `app-${n}-image`, `app-${n}-major-stop`, `app-${n}-pk-offsets`, `app-${n}-drain`, `app-${n}-paperless`, `app-${n}-index`, `app-${n}-in-service`,
        `edge-${n}-haproxy`, `redis-${n}`, `monitoring-${n}-metrics`,
    ];
    return [
        "secrets", "secrets-db-superuser", "secrets-db-replication", "secrets-db-app",
        "secrets-paperless-secret-key", "secrets-admin", "secrets-redis", "secrets-redis-sentinel", "secrets-redis-check",
        "pki", "pki-ca-key", "pki-ca", "pki-docker-api-ca-key", "pki-docker-api-ca", "pki-operator-key", "pki-operator-csr", "pki-operator-cert",
        "gluster", "gluster-volume", "db", "db-first-check", "db-group", "app", "app-migrate", "edge", "redis",
        "backup", `backup-${names[0]}-timer`, "monitoring", "membership-guard",
        ...(names.length > 1 ? ["gluster-pool"] : []),
        ...names.flatMap(perNode),
        ...rest.map((n) => `db-${n}-join`),
    ].sort();
}

const names = (run: ProgramRun) => run.resources.map((r) => r.name).sort();
const nodeNames = (n: number) => Array.from({ length: n }, (_, i) => `node${i + 1}`);

function dependsAfter(run: ProgramRun, later: string, earlier: string) {
    expect(run.dependsOn(later, earlier), `${later} must depend on ${earlier}`).toBe(true);
    expect(run.byName(later).order, `${later} must register after ${earlier}`).toBeGreaterThan(run.byName(earlier).order);
}

describe("resource graph", () => {
    it.each([1, 3, 5])("has exactly the expected resources for %i nodes", async (n) => {
        const run = await runProgram(baseConfig(n));
        expect(names(run)).toEqual(expectedNames(nodeNames(n)));
        const commands = run.resources.filter((r) => r.type === COMMAND).length;
        // ssh, base, hosts, firewall, tls, docker, brick, mount, pgactive, postgres, access, major-stop, pk-offsets,
        // haproxy, redis, drain, index, in-service, metrics per node; guard, volume, first-node check, group, migrate, backup timer once; one
        // join per node after the first; the pool step on the second node.
        expect(commands).toBe(19 * n + 6 + (n - 1) + (n > 1 ? 1 : 0));
    });

    it("puts the arbiter's brick last and gives it no database, app or Docker", async () => {
        const cfg = baseConfig(3);
        (cfg.nodes as Record<string, unknown>[])[2].roles = ["arbiter"];
        const run = await runProgram(cfg);
        const all = names(run);
        for (const missing of ["db-node3-postgres", "app-node3-paperless", "node3-docker", "node3-docker-api", "edge-node3-haproxy", "gluster-node3-mount"]) {
            expect(all).not.toContain(missing);
        }
        const volume = plain(run.byName("gluster-volume").inputs) as { stdin: string };
        expect(volume.stdin).toContain("export ARBITER='1'");
        expect(volume.stdin).toContain("export BRICKS='10.0.0.11:/srv/gluster/paperless/brick\n10.0.0.12:/srv/gluster/paperless/brick\n10.0.0.13:/srv/gluster/paperless/brick'");
        const base = plain(run.byName("node3-base").inputs) as { stdin: string };
        expect(base.stdin).toMatch(/export PACKAGES='[^']*glusterfs-server/);
        expect(base.stdin).not.toMatch(/postgresql-15|docker\.io/);
    });

    it("runs every host command through stdin with update equal to create", async () => {
        const run = await runProgram(baseConfig(3));
        for (const r of run.resources.filter((x) => x.type === COMMAND && !x.name.endsWith("-host-key-check"))) {
            const inputs = plain(r.inputs) as Record<string, unknown>;
            expect(inputs.create, r.name).toBe(stepShell({ sudo: false }, r.name));
            expect(inputs.update, r.name).toBe(inputs.create);
            expect(inputs.environment, r.name).toBeUndefined();
            expect(String(inputs.stdin)).toMatch(/^export [A-Z_]+=/);
        }
    });

    it("elevates with sudo -n for a non-root user", async () => {
        const cfg = { ...baseConfig(3), ssh: { user: "deploy" } };
        const run = await runProgram(cfg);
        expect((plain(run.byName("node1-host-key-check").inputs) as Record<string, unknown>).create).toBe("sudo -n true");
        expect((plain(run.byName("db-group").inputs) as Record<string, unknown>).create).toMatch(/^sudo -n env SSH_CONNECTION="\$SSH_CONNECTION" timeout -k 30 3600 bash -s \|\| /);
        expect(String((plain(run.byName("gluster-node2-mount").inputs) as Record<string, unknown>).delete)).toMatch(/^sudo -n env /);
    });
});

const patroni = (n: number) => ({ ...baseConfig(n), database: { engine: "patroni" } });

describe("classic with Patroni", () => {
    it("replaces the pgactive group with etcd, Patroni and a bootstrap through the primary", async () => {
        const run = await runProgram(patroni(3));
        const pgactiveOnly = (n: string) => /^db-node\d-(pgactive|postgres|access|join)$|^db-(first-check|group)$|^app-node\d-pk-offsets$/.test(n);
        const expected = [
            ...expectedNames(nodeNames(3)).filter((n) => !pgactiveOnly(n)),
            ...nodeNames(3).flatMap((n) => [`db-${n}-etcd`, `db-${n}-patroni`]),
            "db-bootstrap", "db-dcs", "db-handover", "db-etcd-auth", "secrets-patroni-api", "secrets-etcd-patroni",
            ...["etcd-root", "etcd-client"].flatMap((r) => [`pki-${r}-key`, `pki-${r}-csr`, `pki-${r}-cert`]),
        ].sort();
        expect(names(run)).toEqual(expected);
        for (const n of nodeNames(3)) {
            for (const m of nodeNames(3)) dependsAfter(run, `db-${n}-patroni`, `db-${m}-etcd`);
            dependsAfter(run, "db-bootstrap", `db-${n}-patroni`);
            dependsAfter(run, `app-${n}-paperless`, "app-migrate");
        }
        dependsAfter(run, "app-migrate", "db-bootstrap");
        dependsAfter(run, "db-dcs", "db-bootstrap");
        // The lease timing and synchronous mode reach a running cluster through etcd, from the config.
        expect(scriptVar(String((plain(run.byName("db-dcs").inputs) as { stdin: string }).stdin), "DCS_SETTINGS").split("\n")).toEqual([
            "ttl=8", "loop_wait=1", "retry_timeout=3", "maximum_lag_on_failover=1048576", "synchronous_mode=true", "synchronous_mode_strict=true"]);
    });

    it("sends every instance through its node's HAProxy router to the primary", async () => {
        const run = await runProgram(patroni(3));
        for (const n of nodeNames(3)) {
            const env = plain(run.byName(`app-${n}-paperless`).inputs.envs) as string[];
            expect(env).toEqual(expect.arrayContaining(["PAPERLESS_DBHOST=127.0.0.1", "PAPERLESS_DBPORT=5433", "PGTARGETSESSIONATTRS=read-write"]));
            dependsAfter(run, `app-${n}-paperless`, `edge-${n}-haproxy`);
            const cfg = String((plain(run.byName(`edge-${n}-haproxy`).inputs) as { stdin: string }).stdin);
            expect(cfg).toContain("bind 127.0.0.1:5433");
            expect(cfg).toContain("option httpchk GET /primary");
        }
        dependsAfter(run, "app-migrate", "edge-node1-haproxy");
    });

    it("grows 3 -> 4 without touching any container: only membership and the new node change", async () => {
        const before = await runProgram(patroni(3));
        const after = await runProgram(patroni(4));
        const key = (r: Recorded) => `${r.type}::${r.name}`;
        const now = new Map(after.resources.map((r) => [key(r), r]));
        expect(before.resources.filter((r) => !now.has(key(r)))).toEqual([]);
        const changed = before.resources
            .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(now.get(key(r))!.inputs))
            .map((r) => `${r.type}::${r.name}`).sort();
        const membership = [
            ...nodeNames(3).flatMap((n) => [`${n}-host-key-check`, `${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-etcd`, `db-${n}-patroni`, `edge-${n}-haproxy`, `redis-${n}`, `monitoring-${n}-metrics`]),
            "gluster-volume", "db-bootstrap", "db-handover", "membership-guard",
        ].map((n) => `${COMMAND}::${n}`).sort();
        expect(changed).toEqual(membership);
        const added = after.resources.filter((r) => !before.resources.some((b) => key(b) === key(r))).map((r) => r.name);
        expect(added.every((n) => n.includes("node4"))).toBe(true);
        expect(added).toEqual(expect.arrayContaining(["db-node4-etcd", "db-node4-patroni", "app-node4-paperless"]));
    });

    it("accepts more nodes than pgactive's max_nodes", async () => {
        const run = await runProgram({ ...patroni(5), database: { engine: "patroni" } });
        expect(names(run)).toContain("db-node5-patroni");
    });
});

describe("secrets", () => {
    let run: ProgramRun;
    const leaks = (r: Recorded) => plainStrings(r.inputs)
        .filter(({ value }) => run.secretValues.some((s) => value.includes(s)))
        .map(({ path }) => `${r.name}.${path}`);

    it.each(["pgactive", "patroni"])("never appear in a plain input of any resource (%s)", async (engine) => {
        run = await runProgram({ ...baseConfig(3), database: { engine } });
        expect(run.secretValues.length).toBeGreaterThan(10);
        expect(run.resources.flatMap(leaks)).toEqual([]);
    });

    it.each(["pgactive", "patroni"])("never appear in a command line, even a secret one (%s)", async (engine) => {
        run = await runProgram({ ...baseConfig(3), database: { engine } });
        const bad = run.resources.filter((r) => r.type === COMMAND).flatMap((r) => {
            const inputs = plain(r.inputs) as Record<string, unknown>;
            return ["create", "update", "delete"]
                .filter((k) => typeof inputs[k] === "string" && run.secretValues.some((s) => (inputs[k] as string).includes(s)))
                .map((k) => `${r.name}.${k}`);
        });
        expect(bad).toEqual([]);
    });

    it("reach hosts inside secret stdin, and the SSH key stays secret in every connection", async () => {
        run = await runProgram(baseConfig(3));
        const postgres = run.byName("db-node2-postgres").inputs;
        expect(plainStrings(postgres.stdin)).toEqual([]); // the whole stdin is secret
        expect(String(plain(postgres.stdin))).toContain("SECRET-password-secrets-db-replication");
        for (const r of run.resources.filter((x) => x.type === COMMAND)) {
            expect((plain(r.inputs.connection) as Record<string, unknown>).privateKey).toBe(SSH_KEY);
            expect(plainStrings(r.inputs.connection).filter((x) => x.value.includes("SECRET-ssh"))).toEqual([]);
        }
    });

    it("keep the admin password secret in the stack outputs and nothing else leaks there", async () => {
        run = await runProgram(baseConfig(3));
        expect(run.outputs.adminPassword).toBe("SECRET-password-secrets-admin");
        expect(await isSecret(run.exports.adminPassword as pulumi.Output<string>)).toBe(true);
        const { adminPassword: _secret, ...publicOutputs } = run.outputs;
        const text = JSON.stringify(publicOutputs);
        expect(run.secretValues.filter((s) => text.includes(s))).toEqual([]);
    });

    it("gives Redis, Sentinel and HAProxy's Redis check their passwords on stdin, never in a command line", async () => {
        run = await runProgram(baseConfig(3));
        const step = plain(run.byName("redis-node2").inputs) as { create: string; stdin: string };
        expect(step.create).not.toContain("SECRET");
        expect(scriptVar(step.stdin, "REDIS_CONF")).toContain("\nrequirepass SECRET-password-secrets-redis\n");
        expect(scriptVar(step.stdin, "REDIS_CONF")).toContain("\nuser paperless-ha-check on >SECRET-password-secrets-redis-check -@all +ping +role\n");
        expect(scriptVar(step.stdin, "SENTINEL_CONF")).toContain("\nrequirepass SECRET-password-secrets-redis-sentinel\n");
        expect(scriptVar(step.stdin, "SENTINEL_CONF")).toContain("\nsentinel monitor paperless @MASTER@ 6379 2\n");
        const edge = plain(run.byName("edge-node2-haproxy").inputs) as { create: string; stdin: string };
        expect(edge.create).not.toContain("SECRET");
        expect(scriptVar(edge.stdin, "CONFIG")).toContain('tcp-check send "AUTH paperless-ha-check SECRET-password-secrets-redis-check\\r\\n"');
        // The arbiter runs Sentinel only.
        const cfg = baseConfig(3);
        (cfg.nodes as Record<string, unknown>[])[2].roles = ["arbiter"];
        const arbiter = plain((await runProgram(cfg)).byName("redis-node3").inputs) as { stdin: string };
        expect(scriptVar(arbiter.stdin, "REDIS_CONF")).toBe("");
        expect(scriptVar(arbiter.stdin, "SENTINEL_CONF")).toContain("\nsentinel announce-ip 10.0.0.13\n");
    });
});

describe("ordering", () => {
    it("migrates the first node's database, then creates the group before any join; starts the volume before any mount; migrates before any app", async () => {
        const run = await runProgram(baseConfig(3));
        for (const n of ["node2", "node3"]) dependsAfter(run, `db-${n}-join`, "db-group");
        dependsAfter(run, "gluster-volume", "gluster-pool");
        for (const n of nodeNames(3)) {
            dependsAfter(run, `gluster-${n}-mount`, "gluster-volume");
            dependsAfter(run, "gluster-volume", `gluster-${n}-brick`);
            dependsAfter(run, "gluster-volume", `${n}-firewall`);
            dependsAfter(run, "gluster-pool", `gluster-${n}-brick`);
            dependsAfter(run, `db-${n}-postgres`, `db-${n}-pgactive`);
            dependsAfter(run, `app-${n}-pk-offsets`, "app-migrate");
            // Each node's keys get their residue once its database is a member.
            dependsAfter(run, `app-${n}-pk-offsets`, n === "node1" ? "db-group" : `db-${n}-join`);
            dependsAfter(run, `app-${n}-paperless`, `app-${n}-pk-offsets`);
            dependsAfter(run, `app-${n}-paperless`, `gluster-${n}-mount`);
            // Paperless reaches the Redis master through its node's HAProxy.
            for (const m of nodeNames(3)) dependsAfter(run, `app-${n}-paperless`, `redis-${m}`);
            dependsAfter(run, `app-${n}-paperless`, `edge-${n}-haproxy`);
            dependsAfter(run, "app-migrate", `redis-${n}`);
        }
        // pgactive refuses a column type change once active: the migrations fill the first node's
        // database before it forms the group, the others copy it as they join.
        dependsAfter(run, "db-group", "app-migrate");
        // ...once the first node's database is known to be in no group while another's is one (a new
        // host under its name would seed a second), which asks every node's database.
        dependsAfter(run, "app-migrate", "db-first-check");
        for (const n of nodeNames(3)) dependsAfter(run, "db-first-check", `db-${n}-access`);
        // A joiner connects to every member: every pg_hba admits it first.
        for (const j of ["node2", "node3"]) for (const n of nodeNames(3)) dependsAfter(run, `db-${j}-join`, `db-${n}-access`);
        expect(run.dependsOn("app-migrate", "db-group")).toBe(false);
        expect(scriptVar(String((plain(run.byName("app-migrate").inputs) as { stdin: string }).stdin), "PAPERLESS_CONF")).toMatch(/^PAPERLESS_DBHOST=.?10\.0\.0\.11/m);
        dependsAfter(run, "app-migrate", "gluster-node1-mount");
        // With the singleton elsewhere, the migrations still fill the first node's database (from the singleton's host).
        const elsewhere = await runProgram({ ...baseConfig(3), nodes: (baseConfig(3).nodes as Record<string, unknown>[]).map((n, i) => (i === 1 ? { ...n, roles: ["singleton"] } : n)) });
        expect(JSON.stringify(plain(elsewhere.byName("app-migrate").inputs.connection))).toContain("10.0.0.12");
        expect(scriptVar(String((plain(elsewhere.byName("app-migrate").inputs) as { stdin: string }).stdin), "PAPERLESS_CONF")).toMatch(/^PAPERLESS_DBHOST=.?10\.0\.0\.11/m);
        dependsAfter(run, "app-node2-paperless", "app-node1-paperless");
        dependsAfter(run, "app-node3-paperless", "app-node1-paperless");
        // One node makes the shared directories, the others mount after it.
        for (const n of ["node2", "node3"]) {
            dependsAfter(run, `gluster-${n}-mount`, "gluster-node1-mount");
            expect(String((plain(run.byName(`gluster-${n}-mount`).inputs) as { stdin: string }).stdin)).toContain("export SUBDIRS=''");
        }
        expect(String((plain(run.byName("gluster-node1-mount").inputs) as { stdin: string }).stdin)).toContain("export SUBDIRS='media consume export scratch'");
        // A joiner waits for the first node to admit it, and for the joiner before it: one join at a time.
        dependsAfter(run, "db-node3-join", "db-node1-access");
        dependsAfter(run, "db-node3-join", "db-node2-join");
    });

    it("drains each instance from every balancer before replacing it, one node at a time, and only when it changes", async () => {
        const run = await runProgram(baseConfig(3));
        for (const n of nodeNames(3)) {
            dependsAfter(run, `app-${n}-paperless`, `app-${n}-drain`);
            dependsAfter(run, `app-${n}-in-service`, `app-${n}-paperless`);
        }
        dependsAfter(run, "app-node2-drain", "app-node1-in-service");
        dependsAfter(run, "app-node3-drain", "app-node2-in-service");
        const next = (r: ProgramRun, step: string) => scriptVar(String((plain(r.byName(step).inputs) as { stdin: string }).stdin), "NEXT");
        const same = await runProgram(baseConfig(3));
        const cfg = baseConfig(3);
        cfg.app = { image: "ghcr.io/paperless-ngx/paperless-ngx:2.20.14" };
        const newImage = await runProgram(cfg);
        for (const n of nodeNames(3)) {
            // The in-service step re-runs whenever the drain did, so no node stays drained.
            expect(next(run, `app-${n}-in-service`)).toBe(next(run, `app-${n}-drain`));
            expect(next(same, `app-${n}-drain`)).toBe(next(run, `app-${n}-drain`));
            expect(next(newImage, `app-${n}-drain`)).not.toBe(next(run, `app-${n}-drain`));
        }
        expect(next(run, "app-node1-drain")).not.toBe(next(run, "app-node2-drain"));
    });

    it("gives the singleton role to exactly one node: consumer, scheduler and admin there only", async () => {
        const cfg = baseConfig(3);
        (cfg.nodes as Record<string, unknown>[])[1].roles = ["singleton"];
        const run = await runProgram(cfg);
        const envs = (n: string) => plain(run.byName(`app-${n}-paperless`).inputs.envs) as string[];
        const uploads = (n: string) => JSON.stringify(plain(run.byName(`app-${n}-paperless`).inputs.uploads ?? []));
        expect(envs("node2").some((e) => e.startsWith("PAPERLESS_ADMIN_USER="))).toBe(true);
        expect(envs("node2")).toContain("PAPERLESS_ADMIN_PASSWORD_FILE=/run/secrets/paperless_admin_password");
        expect(uploads("node2")).toContain("/run/secrets/paperless_admin_password");
        // Roles by Paperless's documented settings only: no file of the image is replaced.
        for (const n of ["node1", "node3"]) {
            expect(envs(n)).toContain("PAPERLESS_CONSUMER_DISABLE=1");
            expect(envs(n)).toContain("PAPERLESS_TRAIN_TASK_CRON=disable");
            expect(envs(n).filter((e) => e.endsWith("_TASK_CRON=disable"))).toHaveLength(6);
            expect(envs(n).some((e) => e.startsWith("PAPERLESS_ADMIN_"))).toBe(false);
            expect(uploads(n)).not.toContain("/run/secrets/paperless_admin_password");
            expect(uploads(n)).not.toContain("s6");
        }
        expect(envs("node2")).not.toContain("PAPERLESS_CONSUMER_DISABLE=1");
        expect(envs("node2").some((e) => e.includes("_TASK_CRON="))).toBe(false);
        // Migrations run on the singleton, which starts before the others.
        const migrate = plain(run.byName("app-migrate").inputs) as { connection: { host: string } };
        expect(migrate.connection.host).toBe("10.0.0.12");
        dependsAfter(run, "app-node1-paperless", "app-node2-paperless");
        expect(run.dependsOn("app-node2-paperless", "app-node1-paperless")).toBe(false);
        // Only the singleton sees the consume directory.
        const volumes = (n: string) => JSON.stringify(plain(run.byName(`app-${n}-paperless`).inputs.volumes));
        expect(volumes("node2")).toContain("/mnt/paperless/consume");
        expect(volumes("node1")).not.toContain("consume");
    });

    it("shares the Redis master and the upload scratch dir, and keeps each data dir (the search index) on local disk", async () => {
        const run = await runProgram(baseConfig(3));
        expect(run.resources.filter((r) => r.type === "docker:index/container:Container" && r.name.includes("redis"))).toEqual([]);
        const app = (n: string) => plain(run.byName(`app-${n}-paperless`).inputs) as { envs: string[]; uploads: { file: string; content: string }[] };
        const redisUrls = nodeNames(3).map((n) => app(n).uploads.find((u) => u.file === "/run/secrets/paperless_redis_url")?.content);
        expect(new Set(redisUrls).size).toBe(1);
        expect(redisUrls[0]).toMatch(/@127\.0\.0\.1:6380\/0$/);
        for (const n of nodeNames(3)) {
            expect(app(n).envs).toContain("PAPERLESS_REDIS_FILE=/run/secrets/paperless_redis_url");
            expect(app(n).envs.some((e) => e.startsWith("PAPERLESS_REDIS="))).toBe(false);
            expect(app(n).envs).toContain("PAPERLESS_SCRATCH_DIR=/usr/src/paperless/scratch");
            const volumes = plain(run.byName(`app-${n}-paperless`).inputs.volumes) as { hostPath: string; containerPath: string }[];
            const data = volumes.find((v) => v.containerPath === "/usr/src/paperless/data");
            expect(data?.hostPath).toBe("/var/lib/paperless-ha/data");
            expect(data?.hostPath.startsWith("/mnt/paperless")).toBe(false);
            expect(volumes.find((v) => v.containerPath === "/usr/src/paperless/media")?.hostPath).toBe("/mnt/paperless/media");
            expect(volumes.filter((v) => v.containerPath.startsWith("/usr/src/paperless/data/"))).toEqual([]);
            expect(volumes.find((v) => v.containerPath === "/usr/src/paperless/scratch")?.hostPath).toBe("/mnt/paperless/scratch");
        }
    });
});

describe("growth 3 -> 4", () => {
    it("adds the new node and changes only membership resources, all updated in place", async () => {
        const before = await runProgram(baseConfig(3));
        const after = await runProgram(baseConfig(4));
        const key = (r: Recorded) => `${r.type}::${r.name}`;
        const old = new Map(before.resources.map((r) => [key(r), r]));
        const now = new Map(after.resources.map((r) => [key(r), r]));

        expect([...old.keys()].filter((k) => !now.has(k))).toEqual([]);
        const added = [...now.keys()].filter((k) => !old.has(k)).map((k) => k.split("::")[1]).sort();
        expect(added).toEqual(expectedNames(nodeNames(4)).filter((n) => !expectedNames(nodeNames(3)).includes(n)));
        expect(added.every((n) => n.includes("node4"))).toBe(true);

        const changed = [...old.keys()].filter((k) => JSON.stringify(old.get(k)!.inputs) !== JSON.stringify(now.get(k)!.inputs));
        const membership = [
            ...nodeNames(3).flatMap((n) => [`${n}-host-key-check`, `${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-access`, `edge-${n}-haproxy`, `redis-${n}`, `monitoring-${n}-metrics`]),
            "gluster-volume", "db-first-check", "db-group", "membership-guard",
        ].map((n) => `${COMMAND}::${n}`).sort();
        expect(changed.sort()).toEqual(membership);
        // Commands carry `update`, so a changed input re-runs the script in place instead of replacing.
        for (const k of changed.filter((x) => !x.endsWith("-host-key-check"))) expect((plain(now.get(k)!.inputs) as Record<string, unknown>).update).toBe(stepShell({ sudo: false }, k.split("::")[1]));

        const volume = String((plain(now.get(`${COMMAND}::gluster-volume`)!.inputs) as Record<string, unknown>).stdin);
        expect(volume).toContain("10.0.0.14:/srv/gluster/paperless/brick");
        const hba = String((plain(now.get(`${COMMAND}::db-node1-access`)!.inputs) as Record<string, unknown>).stdin);
        expect(hba).toContain("10.0.0.14/32");
        const lb = String((plain(now.get(`${COMMAND}::edge-node2-haproxy`)!.inputs) as Record<string, unknown>).stdin);
        expect(lb).toContain("server node4 10.0.0.14:8000 check");
    });
});

describe("bad config through the program", () => {
    it("throws before creating any resource and names every bad path", async () => {
        const cfg = baseConfig(3);
        (cfg.nodes as Record<string, unknown>[])[1].address = "not an address!";
        (cfg.nodes as Record<string, unknown>[])[2].name = "node1";
        const err = await runProgram(cfg).then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ProgramFailure);
        const failure = err as ProgramFailure;
        expect(failure.message).toContain("paperless-ha:nodes[1].address");
        expect(failure.message).toContain("paperless-ha:nodes[2].name: duplicate node name 'node1'");
        expect(failure.resources).toEqual([]);
    });
});

describe("host keys", () => {
    const connections = (run: ProgramRun, node: string) => run.resources
        .filter((r) => r.type === COMMAND && !r.name.endsWith("-host-key"))
        .map((r) => plain(r.inputs.connection) as { host: string; hostKey?: string })
        .filter((conn) => conn.host === `10.0.0.${10 + Number(node.slice(4))}`);

    it("checks the configured key on every connection to a node", async () => {
        const run = await runProgram(baseConfig(3));
        expect(run.resources.filter((r) => r.name.endsWith("-host-key"))).toEqual([]);
        for (const n of nodeNames(3)) {
            const conns = connections(run, n);
            expect(conns.length).toBeGreaterThan(5);
            for (const conn of conns) expect(conn.hostKey).toBe(testHostKey(conn.host));
        }
    });

    it("with trust on first use, reads each key once and checks it on every other connection", async () => {
        const cfg = baseConfig(3);
        cfg.nodes = (cfg.nodes as Record<string, unknown>[]).map(({ hostKey: _k, ...n }) => n);
        cfg.ssh = { trustOnFirstUse: true };
        const run = await runProgram(cfg);
        for (const n of nodeNames(3)) {
            const learn = run.byName(`${n}-host-key`);
            expect((plain(learn.inputs.connection) as { hostKey?: string }).hostKey).toBeUndefined();
            expect(plain(learn.inputs.create)).toBe("cat /etc/ssh/ssh_host_ed25519_key.pub");
            // The comment of the .pub file is dropped: the same value a pinned key gives, so
            // pinning a learned key later changes no connection.
            for (const conn of connections(run, n)) expect(conn.hostKey).toBe(testHostKey(conn.host));
            dependsAfter(run, `${n}-host-key-check`, `${n}-host-key`);
        }
        dependsAfter(run, "membership-guard", "node1-host-key");
    });
    it("checks every host's key before anything on any host changes, again whenever the config or the program changes", async () => {
        const run = await runProgram(patroni(3));
        const check = (r: typeof run, n: string) => plain(r.byName(`${n}-host-key-check`).inputs) as { triggers: string[]; create: string; update: string };
        for (const n of nodeNames(3)) {
            expect([check(run, n).create, check(run, n).update]).toEqual(["true", "true"]);
            // The guard, the handover and so every step on every host wait for each node's check.
            for (const m of nodeNames(3)) dependsAfter(run, `${m}-base`, `${n}-host-key-check`);
            dependsAfter(run, "db-handover", `${n}-host-key-check`);
        }
        const same = await runProgram(patroni(3));
        expect(check(same, "node2").triggers).toEqual(check(run, "node2").triggers);
        const tuned = await runProgram({ ...patroni(3), host: { sysctl: { "vm.swappiness": 11 } } });
        expect(check(tuned, "node2").triggers).not.toEqual(check(run, "node2").triggers);
        expect(check(tuned, "node2").triggers[0]).toMatch(/^[0-9a-f]{64}$/);
    });
});
