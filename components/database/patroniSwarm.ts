import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { HOST_CA_CERT, HOST_CA_DIR } from "../host/paths";
import { ClusterConfig, NodeSpec } from "../config";
import { renderRouterCfg } from "../edge/haproxyCfg";
import { Host, runScript } from "../host";
import { dataDirs, SwarmCluster, SwarmStack } from "../swarm";
import { EtcdAccess } from "./databaseArgs";
import { etcdAuth } from "./etcdAuth";
import { etcdConfigFile, ETCD_ROOT_DIR, etcdUrl, patroniConfig, renderDcsSettings, renderPatroniYml } from "./patroniConf";
import { DB_STACK, etcdHostsFile, hbaSourcesFile, METRICS_USER, patroniContainer, patroniService, patroniStack, renderPgbouncerIni, renderPgbouncerUserlist, SWARM_DIRS, swarmLayout } from "./patroniStack";

/** etcd's data inside its container, under the bind mount of SWARM_DIRS.etcd. */
const ETCD_DATA_DIR = "/var/lib/etcd/data";
const IMAGE_DIR = path.join(__dirname, "..", "..", "images", "patroni");
const imageFile = (name: string) => fs.readFileSync(path.join(IMAGE_DIR, name), "utf8");

export interface PatroniSwarmArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    swarm: SwarmCluster;
    superuserPassword: pulumi.Output<string>;
    replicationPassword: pulumi.Output<string>;
    appPassword: pulumi.Output<string>;
    filerPassword: pulumi.Output<string>;
    metricsPassword: pulumi.Output<string>;
    /** Patroni's REST API asks it of unsafe methods. */
    restApiPassword: pulumi.Output<string>;
    etcd: EtcdAccess;
    /** Suffixes Docker secret names (see SwarmStack). */
    nameKey: pulumi.Output<string>;
}

/**
 * PostgreSQL HA as a swarm stack: the Patroni image built on every host, etcd on the managers,
 * Patroni pinned to each node with synchronous replication, a router + PgBouncer + exporter on
 * every node; once a leader exists, the application, filer and metrics roles are created through it.
 */
export class PatroniSwarm extends pulumi.ComponentResource {
    /** The leader accepts writes and every role and database exists. */
    public readonly ready: command.remote.Command;
    public readonly stackFile: pulumi.Output<string>;
    public readonly endpoints: Record<string, string>;

    constructor(name: string, args: PatroniSwarmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:database:PatroniSwarm", name, {}, opts);
        const { cluster: c, hosts, swarm } = args;
        const db = c.database;
        const img = c.swarm.images;
        const dockerfile = imageFile("Dockerfile");
        const entrypoint = imageFile("entrypoint.sh");
        const recipe = createHash("sha256").update([dockerfile, entrypoint, img.patroniBase, db.postgresVersion].join("\0")).digest("hex");

        const managers = new Set(c.managers.map((m) => m.name));
        const etcdMember = (n: NodeSpec): Record<string, pulumi.Input<string>> => ({
            NODE_NAME: n.name,
            ETCD_CONF: etcdConfigFile(c, n, c.managers, SWARM_DIRS.tls, ETCD_DATA_DIR),
            DATA_DIR: `${SWARM_DIRS.etcd}/data`,
            PEER_URL: etcdUrl(n.clusterAddress, 2380),
            OTHERS: c.managers.filter((o) => o.name !== n.name).map((o) => etcdUrl(o.clusterAddress, 2379)).join(" "),
            IMAGE: img.etcd,
            TLS_DIR: SWARM_DIRS.tls,
            ROOT_DIR: ETCD_ROOT_DIR,
            ROOT_CERT: args.etcd.root.certPem,
            ROOT_KEY: args.etcd.root.keyPem,
        });
        const prepared = c.nodes.flatMap((n) => {
            const login = hosts[n.name].login;
            const engine = hosts[n.name].engine ? [hosts[n.name].engine!] : [];
            const image = runScript(`${name}-${n.name}-image`, {
                login,
                script: "image-build",
                env: { TAG: img.patroni, RECIPE: recipe, DOCKERFILE: dockerfile, ENTRYPOINT_SH: entrypoint, BASE_IMAGE: img.patroniBase, PG_VERSION: db.postgresVersion },
            }, { parent: this, dependsOn: engine });
            const dirs = dataDirs(`${name}-${n.name}-dirs`, login, DB_STACK, [
                { path: SWARM_DIRS.postgres, mode: "0700", keep: true },
                { path: SWARM_DIRS.etcd, mode: "0700", keep: false },
                { path: SWARM_DIRS.etcdConf, mode: "0755", keep: false },
                { path: ETCD_ROOT_DIR, mode: "0700", keep: false },
            ], c.storage.retainOnDestroy, { parent: this, dependsOn: hosts[n.name].ready });
            const etcd = runScript(`${name}-${n.name}-etcd`, {
                login,
                script: "swarm-etcd",
                env: {
                    CONF_DIR: SWARM_DIRS.etcdConf,
                    ETCD_HOSTS: etcdHostsFile(c),
                    HBA_SOURCES: hbaSourcesFile(c),
                    PATRONI_SERVICE: patroniService(n.name),
                    ...(managers.has(n.name) ? etcdMember(n) : {}),
                },
            }, { parent: this, dependsOn: [dirs, ...engine] });
            return [image, dirs, etcd, swarm.members[n.name]];
        });

        const layout = swarmLayout(c);
        const stack = new SwarmStack(DB_STACK, {
            manager: hosts[swarm.manager.name].login,
            provider: hosts[swarm.manager.name].docker!,
            secrets: {
                pg_superuser_password: args.superuserPassword,
                pg_replication_password: args.replicationPassword,
                pg_metrics_password: args.metricsPassword,
                patroni_api_password: args.restApiPassword,
                etcd_patroni_password: args.etcd.patroniPassword,
                etcd_client_cert: args.etcd.client.certPem,
                etcd_client_key: args.etcd.client.keyPem,
                pgbouncer_userlist: args.appPassword.apply((p) => renderPgbouncerUserlist(c, p)),
            },
            configs: {
                ...Object.fromEntries(c.nodes.map((n) => [`patroni-${n.name}`, renderPatroniYml(patroniConfig(c, n, layout))])),
                router: renderRouterCfg(c),
                pgbouncer: renderPgbouncerIni(c),
            },
            nameKey: args.nameKey,
            render: (names) => patroniStack(c, names.configs, names.secrets),
            convergeTimeout: c.swarm.convergeTimeout,
        }, { parent: this, dependsOn: prepared });
        this.stackFile = stack.stackFile;

        // Once every Patroni signs in to etcd, etcd asks every client who it is.
        const access = etcdAuth(`${name}-etcd-auth`, {
            cluster: c,
            login: hosts[swarm.manager.name].login,
            endpoint: etcdUrl(swarm.manager.clusterAddress, 2379),
            caCert: HOST_CA_CERT,
            patroniPassword: args.etcd.patroniPassword,
            image: img.etcd,
        }, { parent: this, dependsOn: [stack.deployed] });

        this.ready = runScript(`${name}-bootstrap`, {
            login: hosts[swarm.manager.name].login,
            script: "swarm-db-bootstrap",
            env: {
                IMAGE: img.patroni,
                ROUTER_PORT: String(db.patroni.routerPort),
                TLS_DIR: HOST_CA_DIR,
                SUPERUSER_PASSWORD: args.superuserPassword,
                DB_NAME: db.name,
                APP_USER: db.user,
                APP_PASSWORD: args.appPassword,
                FILER_DB: c.storage.seaweedfs.database,
                FILER_USER: c.storage.seaweedfs.database,
                FILER_PASSWORD: args.filerPassword,
                METRICS_USER,
                METRICS_PASSWORD: args.metricsPassword,
            },
        }, { parent: this, dependsOn: [access] });

        runScript(`${name}-dcs`, {
            login: hosts[swarm.manager.name].login,
            script: "patroni-dcs",
            env: { DCS_SETTINGS: renderDcsSettings(c), CONTAINER: patroniContainer(swarm.manager.name) },
        }, { parent: this, dependsOn: [this.ready] });

        this.endpoints = Object.fromEntries(c.nodes.map((n) => [n.name, `127.0.0.1:${c.swarm.pgbouncerPort} (PgBouncer on ${n.name})`]));
        this.registerOutputs({ endpoints: this.endpoints });
    }
}
