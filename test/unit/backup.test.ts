import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderBackupEnv, renderBackupUnits, renderPgpass } from "../../components/backup";
import { baseConfig, configOf, plain, runProgram, sourced, swarmConfig } from "./harness";

const cfg = (over: Record<string, unknown> = {}) => configOf({ ...baseConfig(3), ...over });

describe("backup renderers", () => {
    it("reach the database the way the singleton's instance does", () => {
        expect(sourced(renderBackupEnv(cfg()))).toMatchObject({ DB_HOST: "127.0.0.1", DB_PORT: "5433", DB_SSLMODE: "verify-full", MEDIA_DIR: "/mnt/paperless/media", VOLUME: "paperless", KEEP: "7", ENCRYPT: "0", REMOTE: "" });
        const patroni = cfg({ database: { engine: "patroni" }, nodes: [{ name: "a", address: "10.0.0.1" }, { name: "b", address: "10.0.0.2", roles: ["singleton"] }, { name: "c", address: "10.0.0.3" }] });
        expect(sourced(renderBackupEnv(patroni))).toMatchObject({ DB_HOST: "127.0.0.1", DB_PORT: "5433" });
        expect(sourced(renderBackupEnv(cfg({ nodes: baseConfig(3).nodes, backup: { encrypt: true, remote: "bk@vault.example:/srv/bk", keep: 3 } }))))
            .toMatchObject({ ENCRYPT: "1", REMOTE: "bk@vault.example:/srv/bk", KEEP: "3" });
    });

    it("escape the password file's separators", () => {
        expect(renderPgpass(cfg(), "a:b\\c")).toBe("127.0.0.1:5433:paperless:paperless:a\\:b\\\\c\n");
    });

    it("schedule with a calendar systemd accepts, catching up after downtime", () => {
        const { timer, service } = renderBackupUnits(cfg({ backup: { schedule: "Mon *-*-* 03:15:00" } }));
        expect(timer).toContain("OnCalendar=Mon *-*-* 03:15:00\nPersistent=true");
        expect(service).toContain("RequiresMountsFor=/mnt/paperless");
        const schedule = /OnCalendar=(.*)/.exec(renderBackupUnits(cfg()).timer)![1];
        expect(execFileSync("systemd-analyze", ["calendar", schedule], { encoding: "utf8" })).toContain("Normalized form: *-*-* 02:30:00");
    });

    it("reject a remote that is not user@host:/path and a keep below one", () => {
        expect(() => cfg({ backup: { remote: "vault:/srv" } })).toThrow("paperless-ha:backup.remote: must look like user@host:/absolute/path");
        expect(() => cfg({ backup: { keep: 0 } })).toThrow("paperless-ha:backup.keep");
    });
});

describe("backup resources", () => {
    it("install one timer, on the singleton, after its app and mount, with the password only in secret stdin", async () => {
        const run = await runProgram(baseConfig(3));
        const timers = run.resources.filter((r) => r.name.startsWith("backup-"));
        expect(timers.map((r) => r.name)).toEqual(["backup-node1-timer"]);
        expect(run.dependsOn("backup-node1-timer", "app-node1-paperless")).toBe(true);
        expect(run.dependsOn("backup-node1-timer", "gluster-node1-mount")).toBe(true);
        const stdin = String(plain(run.byName("backup-node1-timer").inputs.stdin));
        expect(stdin).toContain("export PGPASS='127.0.0.1:5433:paperless:paperless:SECRET-password-secrets-db-app");
        expect(stdin).toContain("export BACKUP_KEY=''");
        expect(run.outputs.backups).toMatchObject({ node: "node1", directory: "/var/backups/paperless-ha" });
        expect(run.outputs.backupPassphrase).toBeUndefined();
    });

    it("generate a passphrase when encrypting, secret in the outputs", async () => {
        const run = await runProgram({ ...baseConfig(3), backup: { encrypt: true } });
        expect(String(plain(run.byName("backup-node1-timer").inputs.stdin))).toContain("export BACKUP_KEY='SECRET-password-backup-passphrase'");
        expect(run.outputs.backupPassphrase).toBe("SECRET-password-backup-passphrase");
    });

    it("are absent when disabled", async () => {
        const off = await runProgram({ ...baseConfig(3), backup: { enabled: false } });
        expect(off.resources.filter((r) => r.name.startsWith("backup"))).toEqual([]);
        expect(off.outputs.backups).toBe("disabled");
    });

    it("dump through the swarm singleton's PgBouncer on loopback, after the app stack and the mount", async () => {
        const swarm = await runProgram(swarmConfig(3));
        expect(swarm.resources.filter((r) => r.name.startsWith("backup-")).map((r) => r.name)).toEqual(["backup-node1-timer"]);
        expect(swarm.dependsOn("backup-node1-timer", "paperless-app-deploy")).toBe(true);
        expect(swarm.dependsOn("backup-node1-timer", "seaweedfs-node1-mount")).toBe(true);
        expect(String(plain(swarm.byName("backup-node1-timer").inputs.stdin))).toContain("export PGPASS='127.0.0.1:6432:paperless:paperless:");
        expect(sourced(renderBackupEnv(configOf(swarmConfig(3))))).toMatchObject({ DB_HOST: "127.0.0.1", DB_PORT: "6432", DB_SSLMODE: "disable", MEDIA_DIR: "/mnt/seaweedfs/media", VOLUME: "" });
        expect(String(plain(swarm.byName("node1-base").inputs.stdin))).toMatch(/PACKAGES='[^']*postgresql-client-15/);
        expect(String(plain(swarm.byName("node2-base").inputs.stdin))).not.toContain("postgresql-client");
    });
});
