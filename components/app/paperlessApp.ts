import { createHash } from "node:crypto";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeSpec } from "../config";
import { renderPkOffsetsSql } from "../database";
import { DRAIN_AGENT_INTERVAL_S, DRAIN_STATE_FILE } from "../edge/drainAgent";
import { HAPROXY_STATS_URL } from "../edge/haproxyCfg";
import { Host, runScript } from "../host";
import { migrateOnce } from "./migrate";
import { APP_CONTAINER, imageVersion, INDEX_RECORD } from "./release";
import { HOST_CA_CERT } from "../host/paths";
import { appHealthcheck, CONTAINER, envList, NO_SECRETS, paperlessEnv, SHARED_MOUNTS, withSecretFiles } from "./paperlessEnv";

export interface PaperlessAppArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    /** Per data node: its database is a ready group member. */
    databaseReady: Record<string, pulumi.Resource>;
    /** What the migrations wait for instead of the singleton's database (pgactive: the first node's, before the group forms). */
    migrateAfter?: pulumi.Resource;
    /** Per data node: the shared volume is mounted. */
    storageReady: Record<string, pulumi.Resource>;
    /** Per data node: its HAProxy, the local route to the Redis master and the database's writer. */
    routers: Record<string, pulumi.Resource>;
    /** Per node: its Redis and Sentinel answer. */
    redisReady: Record<string, pulumi.Resource>;
    /** Per data node: HAProxy in front of every instance, when the edge is enabled. */
    balancers?: Record<string, pulumi.Resource>;
    mountPoint: string;
    dbPassword: pulumi.Output<string>;
    secretKey: pulumi.Output<string>;
    redisPassword: pulumi.Output<string>;
    adminPassword: pulumi.Output<string>;
}

/**
 * Paperless-ngx on every data node, all sharing the Redis master through their node's HAProxy. Migrations run once, on the singleton,
 * before any instance starts; every node's key sequences are then given their own residue. The
 * instances start, and are replaced on an update, one node at a time, singleton first: each waits
 * for the one before it to be healthy and back in HAProxy's rotation, so the balancer always has
 * servers and no request fails. A major upgrade stops every instance before the migration; each
 * then rebuilds its search index as it comes back.
 */
export class PaperlessApp extends pulumi.ComponentResource {
    public readonly containers: Record<string, docker.Container>;
    public readonly migrate: pulumi.Resource;

    constructor(name: string, args: PaperlessAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:app:PaperlessApp", name, {}, opts);
        const { cluster: c, hosts } = args;
        const provider = (n: NodeSpec) => {
            const p = hosts[n.name].docker;
            if (!p) throw new Error(`node ${n.name} has no Docker engine`);
            return p;
        };
        const secrets = pulumi
            .all([args.dbPassword, args.secretKey, args.redisPassword, args.adminPassword])
            .apply(([dbPassword, secretKey, redisPassword, adminPassword]) => ({ dbPassword, secretKey, redisPassword, adminPassword }));
        // Secrets reach each instance as files uploaded into the container (`PAPERLESS_*_FILE`),
        // never as environment that `docker inspect` shows.
        const appFiles = (n: NodeSpec) => withSecretFiles(paperlessEnv(c, n, NO_SECRETS));
        const secretUploads = (n: NodeSpec) => Object.keys(appFiles(n).files).map((file) => ({
            file,
            content: pulumi.secret(secrets.apply((s) => withSecretFiles(paperlessEnv(c, n, s)).files[file])),
        }));
        // A node given a new address is a new host (the old one was lost): its image is pulled and
        // its containers are made again there.
        const hostTrigger = (n: NodeSpec) => ({ host: n.address });
        const hostLabel = (n: NodeSpec) => [{ label: "paperless-ha.host", value: n.address }];

        const images = Object.fromEntries(c.dataNodes.map((n) => [n.name, new docker.RemoteImage(`${name}-${n.name}-image`, {
            name: c.app.image,
            keepLocally: true,
            triggers: hostTrigger(n),
        }, { parent: this, provider: provider(n) })]));

        // A major upgrade's migrations do not suit the old release: every old instance stops first.
        const majorStops = c.dataNodes.map((n) => runScript(`${name}-${n.name}-major-stop`, {
            login: hosts[n.name].login,
            script: "app-major-stop",
            env: { APP_CONTAINER, IMAGE: c.app.image, APP_VERSION_WANT: imageVersion(c.app.image) ?? "", STATE_FILE: DRAIN_STATE_FILE, TIMEOUT: "30" },
        }, { parent: this, dependsOn: [images[n.name]] }));

        const single = c.singleton;
        // Its node's HAProxy, and the Redis it routes to (a master exists once every Redis answers).
        const routeOf = (n: NodeSpec) => [args.routers[n.name], ...Object.values(args.redisReady)];
        const migrate = migrateOnce(name, c, hosts[single.name].login, secrets, {
            parent: this,
            dependsOn: [images[single.name], args.migrateAfter ?? args.databaseReady[single.name], args.storageReady[single.name], ...routeOf(single), ...majorStops],
        });
        this.migrate = migrate;

        // Active-active only: with one writer the sequences need no per-node residue.
        const keysReady: Record<string, pulumi.Resource> = c.database.engine !== "pgactive"
            ? Object.fromEntries(c.dataNodes.map((n) => [n.name, migrate]))
            : Object.fromEntries(c.dataNodes.map((n) => [n.name, runScript(`${name}-${n.name}-pk-offsets`, {
            login: hosts[n.name].login,
            script: "pk-offsets",
            env: {
                PG_PORT: String(c.database.port),
                DB_NAME: c.database.name,
                SQL: renderPkOffsetsSql(c.database.pgactive.maxNodes, n.id),
                // Re-run after every migration run: new tables bring new sequences.
                MIGRATED_WITH: c.app.image,
            },
        }, { parent: this, dependsOn: [migrate, args.databaseReady[n.name]] })]));

        const health = appHealthcheck(c);
        const containerArgs = (n: NodeSpec): docker.ContainerArgs => {
            const isSingleton = n.name === single.name;
            const shared = (dir: string, containerPath: string) => ({ hostPath: `${args.mountPoint}/${dir}`, containerPath });
            return {
                name: APP_CONTAINER,
                image: images[n.name].imageId,
                labels: hostLabel(n),
                networkMode: "host",
                restart: "unless-stopped",
                envs: envList(appFiles(n).env),
                volumes: [
                    // Local to each node: the search index (one writer), scheduler state, logs.
                    { hostPath: c.app.dataDir, containerPath: CONTAINER.data },
                    ...Object.entries(SHARED_MOUNTS).map(([dir, path]) => shared(dir, path)),
                    ...(isSingleton ? [shared("consume", CONTAINER.consume)] : []),
                    { hostPath: HOST_CA_CERT, containerPath: CONTAINER.caCert, readOnly: true },
                ],
                uploads: secretUploads(n),
                healthcheck: { tests: health.test, interval: health.interval, timeout: health.timeout, retries: health.retries, startPeriod: health.start_period },
                wait: true,
                waitTimeout: 900,
                // Stopped, not killed, when replaced or removed: requests in flight finish.
                destroyGraceSeconds: 30,
            };
        };
        // Behind HAProxy an instance about to be replaced is drained from every balancer first, and
        // put back once its successor is healthy: no request reaches an instance that is stopping.
        // `NEXT` fingerprints what the instance becomes, so the drain runs exactly when it changes.
        const agent = (n: NodeSpec) => ({ SERVER: n.name, STATS_URL: HAPROXY_STATS_URL, STATE_FILE: DRAIN_STATE_FILE });
        const drain = (n: NodeSpec, next: pulumi.Output<string>, after: pulumi.Resource[]) => runScript(`${name}-${n.name}-drain`, {
            login: hosts[n.name].login,
            script: "app-drain",
            env: { ...agent(n), APP_CONTAINER, NEXT: next, SETTLE: String(3 * DRAIN_AGENT_INTERVAL_S), TIMEOUT: "60" },
        }, { parent: this, dependsOn: [args.balancers![n.name], ...after] });
        // After a major upgrade, each instance rebuilds its own search index before it serves again.
        const index = (n: NodeSpec, ctr: docker.Container) => runScript(`${name}-${n.name}-index`, {
            login: hosts[n.name].login,
            script: "app-index",
            env: { CONTAINER: ctr.id, INDEX_RECORD, TIMEOUT: "0" },
        }, { parent: this, dependsOn: [ctr] });
        const inService = (n: NodeSpec, ctr: docker.Container, next: pulumi.Output<string>, indexed: pulumi.Resource) => runScript(`${name}-${n.name}-in-service`, {
            login: hosts[n.name].login,
            script: "app-in-service",
            env: { ...agent(n), CONTAINER: ctr.id, NEXT: next, TIMEOUT: "120" },
        }, { parent: this, dependsOn: [ctr, indexed, args.balancers![n.name]] });

        this.containers = {};
        let previous: pulumi.Resource[] = [];
        for (const n of [single, ...c.dataNodes.filter((d) => d.name !== single.name)]) {
            const ctrArgs = containerArgs(n);
            const next = pulumi.output(ctrArgs).apply((a) => createHash("sha256").update(JSON.stringify(a)).digest("hex"));
            const before = args.balancers ? [drain(n, next, previous)] : previous;
            // Container names are fixed per host, so the old one must go before its replacement starts.
            const ctr = this.containers[n.name] = new docker.Container(`${name}-${n.name}-paperless`, ctrArgs, {
                parent: this, provider: provider(n), deleteBeforeReplace: true,
                dependsOn: [keysReady[n.name], args.storageReady[n.name], ...routeOf(n), ...before],
            });
            const indexed = index(n, ctr);
            previous = [args.balancers ? inService(n, ctr, next, indexed) : indexed];
        }
        this.registerOutputs({});
    }
}

