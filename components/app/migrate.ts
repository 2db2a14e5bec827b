import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { HostLogin, runScript } from "../host";
import { AppSecrets, envList, HOST_CA_CERT, paperlessEnv } from "./paperlessEnv";

/**
 * Django migrations, once, in a throw-away container on the singleton's node, before any instance
 * starts (every Paperless container would otherwise migrate at start, concurrently).
 */
export function migrateOnce(name: string, c: ClusterConfig, login: HostLogin, secrets: pulumi.Output<AppSecrets>, opts: pulumi.CustomResourceOptions) {
    return runScript(`${name}-migrate`, {
        login,
        script: "paperless-migrate",
        env: {
            IMAGE: c.app.image,
            DATA_DIR: c.app.dataDir,
            CA_CERT: HOST_CA_CERT,
            PAPERLESS_ENV: secrets.apply((s) => envList(paperlessEnv(c, c.singleton, s)).join("\n") + "\n"),
        },
    }, opts);
}
