import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./schema";
import { rewrittenKey } from "./edgeCertificate";
import { ClusterConfig, ConfigError, formatPath, validateConfig } from "./validate";

export interface LoadedConfig {
    cluster: ClusterConfig;
    /** The SSH private key, secret end to end. */
    sshPrivateKey: pulumi.Output<string>;
    /** The key of `edge.certificate`, secret end to end; none without one. */
    edgeCertificateKey?: pulumi.Output<string>;
}

/** Stack config as plain data: `paperless-ha:<key>` values, structured ones parsed from their JSON. */
export function readStackConfig(all: Record<string, string> = pulumi.runtime.allConfig()): Record<string, unknown> {
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        const [ns, key] = fullKey.split(":", 2);
        if (ns !== NAMESPACE || key === undefined) continue;
        raw[key] = parseValue(value);
    }
    return raw;
}

function parseValue(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** ssh.privateKeyPath as a file on this machine: `~/` is the user's home. Pure but for the home. */
export const resolveKeyPath = (keyPath: string) => (keyPath.startsWith("~/") ? path.join(os.homedir(), keyPath.slice(2)) : keyPath);

/** Read and validate the whole stack config before any resource is created. */
export function loadConfig(): LoadedConfig {
    const cluster = validateConfig(readStackConfig());
    const config = new pulumi.Config(NAMESPACE);
    const edgeCertificateKey = cluster.edge.certificate === undefined ? undefined : config.requireSecret("edgeCertificateKey").apply(rewrittenKey);
    const keyPath = cluster.ssh.privateKeyPath;
    if (keyPath === undefined) {
        return { cluster, sshPrivateKey: config.requireSecret("sshPrivateKey"), edgeCertificateKey };
    }
    const resolved = resolveKeyPath(keyPath);
    let key: string;
    try {
        key = fs.readFileSync(resolved, "utf8");
    } catch (e) {
        throw new ConfigError([`${formatPath(["ssh", "privateKeyPath"])}: cannot read '${resolved}': ${(e as Error).message}`]);
    }
    return { cluster, sshPrivateKey: pulumi.secret(key), edgeCertificateKey };
}
