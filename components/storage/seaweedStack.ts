import { ClusterConfig, hostPort, NodeSpec } from "../config";
import { HOST_CA_CERT } from "../host/paths";
import { ServiceSpec, StackSpec } from "../swarm/stackFile";


/** `-peers`/`-master` list: every master, in list order. Pure. */
export const masterList = (c: ClusterConfig) => c.managers.map((m) => hostPort(m.clusterAddress, c.storage.seaweedfs.masterPort)).join(",");

/**
 * `-filer` list for a node's mount: its own filer first, then the managers'. Not every node's: the
 * list must not change when a node joins, or every mount would restart under its running apps. Pure.
 */
export const filerList = (c: ClusterConfig, local: NodeSpec) =>
    [local, ...c.managers.filter((n) => n.name !== local.name)].map((n) => hostPort(n.clusterAddress, c.storage.seaweedfs.filerPort)).join(",");

const tomlString = (s: string) => JSON.stringify(s);

/**
 * filer.toml: metadata in the Patroni database through the node's router to the leader, with a
 * bounded pool per filer. The password is not here: the filer reads it from a Docker secret. Pure.
 */
export function renderFilerToml(c: ClusterConfig): string {
    const w = c.storage.seaweedfs;
    return [
        "[postgres2]",
        "enabled = true",
        `createTable = ${tomlString('CREATE TABLE IF NOT EXISTS "%s" (dirhash BIGINT, name VARCHAR(65535), directory VARCHAR(65535), meta bytea, PRIMARY KEY (dirhash, name));')}`,
        'hostname = "127.0.0.1"',
        `port = ${c.database.patroni.routerPort}`,
        `username = ${tomlString(w.database)}`,
        `database = ${tomlString(w.database)}`,
        'schema = ""',
        'sslmode = "verify-ca"',
        `sslrootcert = ${tomlString(HOST_CA_CERT)}`,
        `connection_max_idle = ${w.maxIdleConnections}`,
        `connection_max_open = ${w.maxOpenConnections}`,
        "connection_max_lifetime_seconds = 0",
        "",
    ].join("\n");
}

/**
 * The storage stack: a master on each manager (raft over `-peers`), and on every node a volume
 * server, a filer and an S3 gateway, each pinned so it binds its own node's address. Pure.
 */
export function seaweedStack(c: ClusterConfig, configs: Record<string, string>, secrets: Record<string, string>): StackSpec {
    const w = c.storage.seaweedfs;
    const image = c.swarm.images.seaweedfs;
    const weed = (n: NodeSpec, args: string[]): Pick<ServiceSpec, "image" | "entrypoint" | "command" | "placement"> =>
        ({ image, entrypoint: ["weed"], command: args, placement: { node: n } });
    const services: Record<string, ServiceSpec> = {};
    for (const m of c.managers) {
        services[`master-${m.name}`] = {
            ...weed(m, ["master", `-ip=${m.clusterAddress}`, `-ip.bind=${m.clusterAddress}`, `-port=${w.masterPort}`, "-mdir=/data",
                `-peers=${masterList(c)}`, `-defaultReplication=${w.replication}`, `-volumeSizeLimitMB=${w.volumeSizeLimitMB}`,
                `-metricsPort=${w.metricsPort}`]),
            volumes: [`${w.masterDir}:/data`],
        };
    }
    for (const n of c.nodes) {
        services[`volume-${n.name}`] = {
            ...weed(n, ["volume", `-ip=${n.clusterAddress}`, `-ip.bind=${n.clusterAddress}`, `-port=${w.volumePort}`, "-dir=/data",
                "-max=0", `-mserver=${masterList(c)}`, "-dataCenter=dc1", "-rack=rack1", `-metricsPort=${w.metricsPort + 1}`]),
            volumes: [`${w.volumeDir}:/data`],
        };
        services[`filer-${n.name}`] = {
            image,
            // The store password comes from the secret into the filer's environment, not its flags.
            entrypoint: ["/bin/sh", "-c",
                'WEED_POSTGRES2_PASSWORD="$(cat /run/secrets/seaweedfs_db_password)" && export WEED_POSTGRES2_PASSWORD && exec weed "$@"', "weed-filer"],
            command: ["filer", `-ip=${n.clusterAddress}`, `-ip.bind=${n.clusterAddress}`, `-port=${w.filerPort}`, `-master=${masterList(c)}`,
                `-defaultReplicaPlacement=${w.replication}`, `-metricsPort=${w.metricsPort + 2}`],
            volumes: [`${HOST_CA_CERT}:${HOST_CA_CERT}:ro`],
            configs: [{ source: "filer", target: "/etc/seaweedfs/filer.toml" }],
            secrets: [{ source: "seaweedfs_db_password", target: "seaweedfs_db_password" }],
            placement: { node: n },
        };
        services[`s3-${n.name}`] = {
            ...weed(n, ["s3", `-ip.bind=${n.clusterAddress}`, `-port=${w.s3Port}`, `-filer=${hostPort(n.clusterAddress, w.filerPort)}`,
                `-metricsPort=${w.metricsPort + 3}`]),
        };
    }
    return { services, secrets, configs };
}
