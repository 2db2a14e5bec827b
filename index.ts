import * as pulumi from "@pulumi/pulumi";
import { PaperlessApp } from "./components/app";
import { loadConfig } from "./components/config";
import { PatroniCluster, PgactiveGroup } from "./components/database";
import { HaproxyEdge, needsHaproxy } from "./components/edge";
import { Host } from "./components/host";
import { ClusterPki } from "./components/pki";
import { ClusterSecrets } from "./components/secrets";
import { GlusterVolume } from "./components/storage";

const { cluster, sshPrivateKey } = loadConfig();

const secrets = new ClusterSecrets("secrets");
const pki = new ClusterPki("pki", { nodes: cluster.nodes, extraNames: cluster.edge.hostnames });

const hosts = Object.fromEntries(cluster.nodes.map((node) => [node.name, new Host(node.name, {
    node,
    cluster,
    sshPrivateKey,
    caCertPem: pki.caCertPem,
    nodeTls: pki.nodes[node.name],
    operatorTls: pki.operator,
})]));

const storage = new GlusterVolume("gluster", { cluster, hosts });

const dbArgs = {
    cluster,
    hosts,
    superuserPassword: secrets.dbSuperuserPassword,
    replicationPassword: secrets.replicationPassword,
    appPassword: secrets.appDbPassword,
};
const database = cluster.database.engine === "patroni" ? new PatroniCluster("db", dbArgs) : new PgactiveGroup("db", dbArgs);

// HAProxy fronts the app and, with Patroni, routes each node's database connections to the primary.
const edge = needsHaproxy(cluster) ? new HaproxyEdge("edge", { cluster, hosts, nodeTls: pki.nodes }) : undefined;

new PaperlessApp("app", {
    cluster,
    hosts,
    databaseReady: database.members,
    storageReady: storage.mounts,
    mountPoint: storage.mountPoint,
    dbPassword: secrets.appDbPassword,
    secretKey: secrets.paperlessSecretKey,
    redisPassword: secrets.redisPassword,
    adminPassword: secrets.adminPassword,
    databaseRouter: cluster.database.engine === "patroni" ? edge?.balancers : undefined,
});

const scheme = cluster.edge.enabled && cluster.edge.tls ? "https" : "http";
const edgePort = cluster.edge.enabled ? (cluster.edge.tls ? cluster.edge.httpsPort : cluster.edge.httpPort) : cluster.app.port;
const defaultPort = (scheme === "https" && edgePort === 443) || (scheme === "http" && edgePort === 80);

export const appUrl = cluster.app.url ?? `${scheme}://${cluster.first.address}${defaultPort ? "" : `:${edgePort}`}/`;
export const nodes = cluster.nodes.map((n) => ({
    name: n.name,
    address: n.address,
    clusterAddress: n.clusterAddress,
    roles: [
        ...(n.arbiter ? ["arbiter"] : ["database", "app"]),
        ...(n.name === cluster.singleton.name ? ["singleton"] : []),
        ...(n.name === cluster.redis.name ? ["redis"] : []),
    ],
}));
export const databaseEndpoints = database.endpoints;
export const adminUser = cluster.app.adminUser;
export const adminPassword = pulumi.secret(secrets.adminPassword);
export const caCertificate = pki.caCertPem;
