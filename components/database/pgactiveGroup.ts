import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { pgactiveSourceSha256 } from "../config";
import { runScript } from "../host";
import { DatabaseArgs } from "./databaseArgs";
import { nodeDsn, PG_TLS_DIR, postgresSettings, renderPgHba, renderPostgresConf } from "./postgresConf";

export interface PgactiveGroupArgs extends DatabaseArgs {
    /**
     * What fills the first node's database before the group forms: Paperless's migrations, which
     * pgactive would refuse once it is active (it allows no column type change under DDL
     * replication). The others copy it as they join.
     */
    seededBy?: pulumi.Input<pulumi.Resource>;
}

/**
 * PostgreSQL on every data node joined into one pgactive group: the first node's database is
 * seeded, then it creates the group, and each other node joins it through the first once it
 * exists. Nodes are only configured for pgactive after the extension is on disk, so a missing
 * pgactive stops the run before any PostgreSQL setting changes.
 */
export class PgactiveGroup extends pulumi.ComponentResource {
    /** Per data node: its database is a ready member of the group. */
    public readonly members: Record<string, command.remote.Command>;
    /** `host:port` per data node. */
    public readonly endpoints: Record<string, string>;
    /** The first node's database is configured and reachable from the nodes: what `seededBy` may wait for. */
    public readonly firstPrepared: command.remote.Command;

    constructor(name: string, args: PgactiveGroupArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:database:PgactiveGroup", name, {}, opts);
        const { cluster: c, hosts } = args;
        const db = c.database;
        const retain = c.storage.retainOnDestroy ? "1" : "0";

        const configured: Record<string, command.remote.Command> = {};
        const access: Record<string, command.remote.Command> = {};
        for (const n of c.dataNodes) {
            const login = hosts[n.name].login;
            const extension = runScript(`${name}-${n.name}-pgactive`, {
                login,
                script: "pgactive-install",
                env: {
                    NODE_NAME: n.name,
                    PG_VERSION: db.postgresVersion,
                    METHOD: db.pgactive.install,
                    PACKAGE: db.pgactive.package,
                    VERSION: db.pgactive.version,
                    SOURCE_URL: db.pgactive.sourceUrl.replace(/\{version\}/g, db.pgactive.version),
                    SOURCE_SHA256: pgactiveSourceSha256(db.pgactive) ?? "",
                    UNVERIFIED: db.pgactive.allowUnverifiedSource ? "1" : "0",
                },
            }, { parent: this, dependsOn: hosts[n.name].ready });
            configured[n.name] = runScript(`${name}-${n.name}-postgres`, {
                login,
                script: "postgres",
                env: {
                    NODE_NAME: n.name,
                    PG_VERSION: db.postgresVersion,
                    PG_PORT: String(db.port),
                    TLS_DIR: PG_TLS_DIR,
                    SETTINGS: renderPostgresConf(postgresSettings(c, n)),
                    DB_NAME: db.name,
                    APP_USER: db.user,
                    REPL_USER: db.replicationUser,
                    SUPERUSER_PASSWORD: args.superuserPassword,
                    REPL_PASSWORD: args.replicationPassword,
                    APP_PASSWORD: args.appPassword,
                },
                deleteScript: "postgres-delete",
                deleteEnv: { PG_VERSION: db.postgresVersion, RETAIN: retain },
            }, { parent: this, dependsOn: [extension] });
            access[n.name] = runScript(`${name}-${n.name}-access`, {
                login,
                script: "pg-access",
                env: { PG_VERSION: db.postgresVersion, HBA: renderPgHba(c) },
            }, { parent: this, dependsOn: [configured[n.name], hosts[n.name].firewall] });
        }

        const first = c.first;
        const others = c.dataNodes.filter((d) => d.name !== first.name);
        // Once every node's pg_hba admits the others, as the check asks them.
        this.firstPrepared = runScript(`${name}-first-check`, {
            login: hosts[first.name].login,
            script: "pgactive-first-check",
            env: {
                PG_PORT: String(db.port),
                DB_NAME: db.name,
                NODE_NAME: first.name,
                PEER_DSNS: others.map((n) => nodeDsn(c, n)).join("\n"),
            },
        }, { parent: this, dependsOn: Object.values(access) });
        const group = runScript(`${name}-group`, {
            login: hosts[first.name].login,
            script: "pgactive-group",
            env: {
                PG_PORT: String(db.port),
                DB_NAME: db.name,
                NODE_NAME: first.name,
                NODE_DSN: nodeDsn(c, first),
                MEMBERS: c.dataNodes.map((n) => n.name).join(" "),
                APP_USER: db.user,
            },
        }, { parent: this, dependsOn: [this.firstPrepared, ...(args.seededBy ? [args.seededBy] : [])] });

        this.members = { [first.name]: group };
        // One join at a time, in list order: with two joining at once, one test run lost rows between
        // them (a link formed late is the likely cause, not a proven one).
        let previous = group;
        for (const n of others) {
            // Every member's pg_hba must admit the joiner, and the joiner's must admit theirs,
            // before the join copies the database and connects to each of them.
            previous = this.members[n.name] = runScript(`${name}-${n.name}-join`, {
                login: hosts[n.name].login,
                script: "pgactive-join",
                env: {
                    PG_PORT: String(db.port),
                    DB_NAME: db.name,
                    NODE_NAME: n.name,
                    NODE_DSN: nodeDsn(c, n),
                    JOIN_DSN: nodeDsn(c, first),
                    APP_USER: db.user,
                },
            }, { parent: this, dependsOn: [previous, ...Object.values(access)] });
        }
        this.endpoints = Object.fromEntries(c.dataNodes.map((n) => [n.name, `${n.clusterAddress}:${db.port}`]));
        this.registerOutputs({ endpoints: this.endpoints });
    }
}
