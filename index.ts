import * as pulumi from "@pulumi/pulumi";
import { PaperlessApp, PaperlessSwarm } from "./components/app";
import { ClusterBackup } from "./components/backup";
import { bracketed, ClusterConfig, edgeNames, loadConfig, NodeSpec } from "./components/config";
import { PatroniCluster, patroniHandover, PatroniSwarm, PgactiveGroup } from "./components/database";
import { HaproxyEdge } from "./components/edge";
import { membershipGuard } from "./components/guard";
import { Host, hostKeyChecks, hostKeys, hostLogin } from "./components/host";
import { ClusterMonitoring, prometheusUrl } from "./components/monitoring";
import { ClusterPki } from "./components/pki";
import { RedisHa } from "./components/redis";
import { ClusterSecrets } from "./components/secrets";
import { GlusterVolume, SeaweedCluster } from "./components/storage";
import { SwarmCluster, swarmRejoin } from "./components/swarm";

const { cluster, sshPrivateKey, edgeCertificateKey } = loadConfig();
const swarm = cluster.topology === "swarm";

const patroni = swarm || cluster.database.engine === "patroni";
const secrets = new ClusterSecrets("secrets", { swarm, patroni });
const pki = new ClusterPki("pki", { nodes: cluster.nodes, extraNames: edgeNames(cluster.edge), etcd: patroni });
/** Patroni's etcd: who may do what there. */
const etcdAccess = patroni ? { root: pki.etcdRoot!, client: pki.etcdClient!, patroniPassword: secrets.etcdPatroniPassword! } : undefined;

const keys = hostKeys(cluster, sshPrivateKey);
const loginOf = (n: NodeSpec) => hostLogin(n, cluster, sshPrivateKey, keys[n.name]);
// Every host shows its key before anything on any host changes.
const keysChecked = hostKeyChecks(cluster, loginOf);
const firstLogin = loginOf(cluster.first);
// swarm: a new host under the first name joins the running swarm through the second manager.
const rejoin = swarm ? swarmRejoin(cluster, loginOf, keysChecked) : undefined;
const guard = membershipGuard(cluster, firstLogin, [...keysChecked, ...(rejoin ? [rejoin] : [])], rejoin);
const beforeHosts = patroni ? patroniHandover(cluster, firstLogin, guard) : guard;
const hosts = Object.fromEntries(cluster.nodes.map((node) => [node.name, new Host(node.name, {
    node,
    cluster,
    sshPrivateKey,
    hostKey: keys[node.name],
    caCertPem: pki.caCertPem,
    nodeTls: pki.nodes[node.name],
    operatorTls: pki.operator,
    dockerApiCaCertPem: pki.dockerApiCaCertPem,
    after: [beforeHosts],
})]));

/** What every Paperless instance is given, in either topology. */
const appSecrets = {
    dbPassword: secrets.appDbPassword,
    secretKey: secrets.paperlessSecretKey,
    redisPassword: secrets.redisPassword,
    adminPassword: secrets.adminPassword,
};

/** Redis on every data node with Sentinel on every node, and HAProxy on every data node routing to its master (and more, see HaproxyEdge). */
function redisAndEdge(c: ClusterConfig) {
    const redis = new RedisHa("redis", {
        cluster: c,
        hosts,
        secrets: pulumi.all([secrets.redisPassword, secrets.sentinelPassword, secrets.redisCheckPassword])
            .apply(([password, sentinelPassword, checkPassword]) => ({ password, sentinelPassword, checkPassword })),
    });
    const edge = new HaproxyEdge("edge", { cluster: c, hosts, nodeTls: pki.nodes, redisCheckPassword: secrets.redisCheckPassword, edgeCertificateKey });
    return { redis, edge };
}

/** What a topology hands back to the exports. */
interface Built {
    endpoints: Record<string, string>;
    backup?: ClusterBackup;
    monitoring?: ClusterMonitoring;
}

/** classic: PostgreSQL (pgactive or Patroni) and GlusterFS on the hosts, Paperless in per-node containers. */
function classic(c: ClusterConfig): Built {
    const storage = new GlusterVolume("gluster", { cluster: c, hosts });
    const dbArgs = {
        cluster: c,
        hosts,
        superuserPassword: secrets.dbSuperuserPassword,
        replicationPassword: secrets.replicationPassword,
        appPassword: secrets.appDbPassword,
    };
    // pgactive forms its group from the first node's database once the migrations filled it.
    let seed!: (migrated: pulumi.Resource) => void;
    const seededBy = new Promise<pulumi.Resource>((resolve) => { seed = resolve; });
    const database = c.database.engine === "patroni"
        ? new PatroniCluster("db", { ...dbArgs, restApiPassword: secrets.patroniApiPassword!, etcd: etcdAccess! })
        : new PgactiveGroup("db", { ...dbArgs, seededBy });
    // HAProxy routes each node's Redis connections to the master and its database connections to the
    // one writer (Patroni's primary, or with pgactive the first listed node that is up), and fronts the app.
    const { redis, edge } = redisAndEdge(c);
    const app = new PaperlessApp("app", {
        cluster: c,
        hosts,
        databaseReady: database.members,
        storageReady: storage.mounts,
        mountPoint: storage.mountPoint,
        ...appSecrets,
        redisReady: redis.ready,
        routers: edge.balancers,
        balancers: c.edge.enabled ? edge.balancers : undefined,
        migrateAfter: database instanceof PgactiveGroup ? database.firstPrepared : undefined,
    });
    seed(app.migrate);
    const backup = c.backup.enabled ? new ClusterBackup("backup", {
        cluster: c,
        hosts,
        appPassword: secrets.appDbPassword,
        after: [app.containers[c.singleton.name], storage.mounts[c.singleton.name]],
    }) : undefined;
    const monitoring = c.monitoring.enabled ? new ClusterMonitoring("monitoring", {
        cluster: c,
        hosts,
        after: Object.fromEntries(c.nodes.map((n) => [n.name, [storage.mounts[n.name], ...(n.arbiter ? [] : [app.containers[n.name]])].filter(Boolean)])),
    }) : undefined;
    return { endpoints: database.endpoints, backup, monitoring };
}

/** swarm: Patroni, SeaweedFS and Paperless as stacks on a Docker Swarm over the hosts. */
function swarmTopology(c: ClusterConfig): Built {
    const nameKey = secrets.dockerNameKey!;
    const cluster = new SwarmCluster("swarm", { cluster: c, hosts, rejoin });
    const database = new PatroniSwarm("db", {
        cluster: c,
        hosts,
        swarm: cluster,
        superuserPassword: secrets.dbSuperuserPassword,
        replicationPassword: secrets.replicationPassword,
        appPassword: secrets.appDbPassword,
        filerPassword: secrets.filerDbPassword!,
        metricsPassword: secrets.metricsPassword!,
        restApiPassword: secrets.patroniApiPassword!,
        etcd: etcdAccess!,
        nameKey,
    });
    const storage = c.storage.backend === "glusterfs"
        ? new GlusterVolume("gluster", { cluster: c, hosts })
        : new SeaweedCluster("seaweedfs", {
            cluster: c,
            hosts,
            swarm: cluster,
            databaseReady: database.ready,
            filerPassword: secrets.filerDbPassword!,
            nameKey,
        });
    // The same Redis and edge as classic: TLS, the Host check and every node balancing over every instance.
    const { redis, edge } = redisAndEdge(c);
    const app = new PaperlessSwarm("app", {
        cluster: c,
        hosts,
        swarm: cluster,
        databaseReady: database.ready,
        storageReady: storage.mounts,
        mountPoint: storage.mountPoint,
        ...appSecrets,
        redisReady: [...Object.values(redis.ready), ...Object.values(edge.balancers)],
        nameKey,
    });
    const monitoring = c.monitoring.enabled ? new ClusterMonitoring("monitoring", {
        cluster: c,
        hosts,
        after: Object.fromEntries(c.nodes.map((n) => [n.name, [storage.mounts[n.name], app.deployed].filter(Boolean)])),
    }) : undefined;
    const backup = c.backup.enabled ? new ClusterBackup("backup", {
        cluster: c,
        hosts,
        appPassword: secrets.appDbPassword,
        after: [app.deployed, storage.mounts[c.singleton.name]],
    }) : undefined;
    return { endpoints: database.endpoints, backup, monitoring };
}

const { endpoints, backup, monitoring } = swarm ? swarmTopology(cluster) : classic(cluster);

const scheme = cluster.edge.enabled && cluster.edge.tls ? "https" : "http";
const edgePort = !cluster.edge.enabled ? cluster.app.port : (cluster.edge.tls ? cluster.edge.httpsPort : cluster.edge.httpPort);
const defaultPort = (scheme === "https" && edgePort === 443) || (scheme === "http" && edgePort === 80);

export const topology = cluster.topology;
/** Where users go: the configured URL, else the edge's first name (a host name, then the virtual address), else the first node. */
const [edgeName] = cluster.edge.enabled ? edgeNames(cluster.edge) : [];
export const appUrl = cluster.app.url ?? `${scheme}://${bracketed(edgeName ?? cluster.first.address)}${defaultPort ? "" : `:${edgePort}`}/`;
export const nodes = cluster.nodes.map((n) => ({
    name: n.name,
    address: n.address,
    clusterAddress: n.clusterAddress,
    roles: [
        ...(n.arbiter ? ["arbiter"] : ["database", "app"]),
        ...(swarm && cluster.managers.includes(n) ? ["manager"] : []),
        ...(n.name === cluster.singleton.name ? ["singleton"] : []),
        ...(n.name === cluster.redis.name ? ["redis"] : []),
    ],
}));
export const databaseEndpoints = endpoints;
export const adminUser = cluster.app.adminUser;
export const adminPassword = pulumi.secret(secrets.adminPassword);
export const caCertificate = pki.caCertPem;
export const backups = backup
    ? { node: cluster.singleton.name, directory: cluster.backup.directory, schedule: cluster.backup.schedule, keep: cluster.backup.keep, restore: "paperless-ha-restore --yes latest" }
    : "disabled";
export const backupPassphrase = backup?.passphrase ? pulumi.secret(backup.passphrase) : undefined;
export const metrics = monitoring
    ? { prometheus: cluster.monitoring.prometheus ? prometheusUrl(cluster) : "not run", nodeExporterPort: cluster.monitoring.nodeExporterPort }
    : "disabled";
