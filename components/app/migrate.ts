import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { HostLogin, runScript } from "../host";
import { HOST_CA_CERT } from "../host/paths";
import { AppSecrets, databaseRoute, ownDatabaseRoute, paperlessEnv, renderDotenv } from "./paperlessEnv";

/** Whose database the migrations run against: pgactive's first node (see PgactiveGroup), else the singleton's. */
export const migrationTarget = (c: ClusterConfig) => (c.database.engine === "pgactive" ? c.first : c.singleton);

/**
 * Django migrations, once, in a throw-away container on the singleton's node, before any instance
 * starts (every Paperless container would otherwise migrate at start, concurrently). Its settings,
 * secrets among them, reach it as a settings file Paperless loads, not as container environment.
 * With pgactive they go to the first node's own database, which the group is then formed from
 * (not through the router, which would pick another node were the first one down).
 */
export function migrateOnce(name: string, c: ClusterConfig, login: HostLogin, secrets: pulumi.Output<AppSecrets>, opts: pulumi.CustomResourceOptions) {
    return runScript(`${name}-migrate`, {
        login,
        script: "paperless-migrate",
        env: {
            IMAGE: c.app.image,
            DATA_DIR: c.app.dataDir,
            CA_CERT: HOST_CA_CERT,
            PAPERLESS_CONF: secrets.apply((s) => renderDotenv(paperlessEnv(c, migrationTarget(c), s,
                c.database.engine === "pgactive" ? ownDatabaseRoute(c, migrationTarget(c)) : databaseRoute(c)))),
        },
    }, opts);
}
