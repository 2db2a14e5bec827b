import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeSpec } from "../config";
import { Host, runScript } from "../host";
import { dataDirs, SwarmCluster, SwarmStack } from "../swarm";
import { APP_UID } from "../host/paths";
import { migrateOnce } from "./migrate";
import { paperlessService, paperlessStack, redisUrl } from "./paperlessStack";
import { imageVersion, INDEX_RECORD } from "./release";

/** The swarm stack this component deploys (its resources are named after it). */
export const APP_STACK = "paperless-app";

/** The swarm's name for a node's app service; with no name, what every app service's name starts with. */
export const appServiceName = (n: Pick<NodeSpec, "name"> = { name: "" }) => `${APP_STACK}_${paperlessService(n)}`;

export interface PaperlessSwarmArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    swarm: SwarmCluster;
    /** The application role and database exist and PgBouncer routes to the leader. */
    databaseReady: pulumi.Resource;
    /** Per node: the shared file system is mounted. */
    storageReady: Record<string, pulumi.Resource>;
    mountPoint: string;
    dbPassword: pulumi.Output<string>;
    secretKey: pulumi.Output<string>;
    redisPassword: pulumi.Output<string>;
    adminPassword: pulumi.Output<string>;
    /** Every node's Redis and Sentinel answer and every data node's HAProxy routes to the master. */
    redisReady: pulumi.Resource[];
    nameKey: pulumi.Output<string>;
}

/**
 * Paperless-ngx as a swarm stack. Migrations run once, on the singleton's node, before the stack
 * exists; then one Paperless service per node, each reaching the Redis master through its node's
 * HAProxy. A major upgrade
 * scales every old instance to none before the migration; each rebuilds its search index after.
 */
export class PaperlessSwarm extends pulumi.ComponentResource {
    public readonly deployed: command.remote.Command;
    public readonly stackFile: pulumi.Output<string>;

    constructor(name: string, args: PaperlessSwarmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:app:PaperlessSwarm", name, {}, opts);
        const { cluster: c, hosts, swarm } = args;
        const secrets = pulumi
            .all([args.dbPassword, args.secretKey, args.redisPassword, args.adminPassword])
            .apply(([dbPassword, secretKey, redisPassword, adminPassword]) => ({ dbPassword, secretKey, redisPassword, adminPassword }));

        const dirs = c.nodes.map((n) => dataDirs(`${name}-${n.name}-dirs`, hosts[n.name].login, APP_STACK, [
            { path: c.app.dataDir, mode: "0750", owner: `${APP_UID}:${APP_UID}`, keep: true },
        ], c.storage.retainOnDestroy, { parent: this, dependsOn: hosts[n.name].ready }));

        // A major upgrade's migrations do not suit the old release: every old instance stops first.
        const majorStop = runScript(`${name}-major-stop`, {
            login: hosts[swarm.manager.name].login,
            script: "app-major-scale-down",
            env: { STACK: APP_STACK, SERVICE_PREFIX: appServiceName(), IMAGE: c.app.image, APP_VERSION_WANT: imageVersion(c.app.image) ?? "", TIMEOUT: "120" },
        }, { parent: this, dependsOn: [args.databaseReady] });

        const single = c.singleton;
        const migrate = migrateOnce(name, c, hosts[single.name].login, secrets,
            { parent: this, dependsOn: [args.databaseReady, args.storageReady[single.name], majorStop, ...args.redisReady] });

        const stack = new SwarmStack(APP_STACK, {
            manager: hosts[swarm.manager.name].login,
            provider: hosts[swarm.manager.name].docker!,
            secrets: {
                paperless_db_password: args.dbPassword,
                paperless_secret_key: args.secretKey,
                paperless_admin_password: args.adminPassword,
                paperless_redis_url: args.redisPassword.apply((p) => redisUrl(c, p)),
            },
            configs: {},
            nameKey: args.nameKey,
            render: (names) => paperlessStack(c, args.mountPoint, names.configs, names.secrets),
            convergeTimeout: c.swarm.convergeTimeout,
        }, { parent: this, dependsOn: [migrate, ...dirs, ...Object.values(args.storageReady)] });
        // After a major upgrade, each instance rebuilds its own search index.
        for (const n of c.nodes) {
            runScript(`${name}-${n.name}-index`, {
                login: hosts[n.name].login,
                script: "app-index",
                env: { SERVICE: appServiceName(n), IMAGE: c.app.image, INDEX_RECORD, TIMEOUT: "600" },
            }, { parent: this, dependsOn: [stack.deployed] });
        }
        this.deployed = stack.deployed;
        this.stackFile = stack.stackFile;
        this.registerOutputs({});
    }
}
