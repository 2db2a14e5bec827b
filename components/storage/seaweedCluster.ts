import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeSpec } from "../config";
import { Host, runScript } from "../host";
import { dataDirs, SwarmCluster, SwarmStack } from "../swarm";
import { APP_UID } from "../host/paths";
import { SHARED_DIRS } from "./glusterPlan";
import { filerList, renderFilerToml, seaweedStack } from "./seaweedStack";

/** The swarm stack this component deploys (its resources are named after it). */
export const STORAGE_STACK = "paperless-storage";

export interface SeaweedClusterArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    swarm: SwarmCluster;
    /** The filer role and database exist in PostgreSQL. */
    databaseReady: pulumi.Resource;
    filerPassword: pulumi.Output<string>;
    nameKey: pulumi.Output<string>;
}

/**
 * SeaweedFS HA as a swarm stack (masters on the managers, a volume server, filer and S3 gateway on
 * every node, filers active-active on PostgreSQL), then a FUSE mount of the filers on every node.
 */
export class SeaweedCluster extends pulumi.ComponentResource {
    /** Per node: the file system is mounted and the shared directories exist. */
    public readonly mounts: Record<string, command.remote.Command>;
    public readonly mountPoint: string;
    public readonly stackFile: pulumi.Output<string>;

    constructor(name: string, args: SeaweedClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:storage:SeaweedCluster", name, {}, opts);
        const { cluster: c, hosts, swarm } = args;
        const w = c.storage.seaweedfs;
        const managers = new Set(c.managers.map((m) => m.name));
        const dirs = c.nodes.map((n) => dataDirs(`${name}-${n.name}-dirs`, hosts[n.name].login, STORAGE_STACK, [
            { path: w.volumeDir, mode: "0700", keep: true },
            ...(managers.has(n.name) ? [{ path: w.masterDir, mode: "0700", keep: false }] : []),
        ], c.storage.retainOnDestroy, { parent: this, dependsOn: hosts[n.name].ready }));

        const stack = new SwarmStack(STORAGE_STACK, {
            manager: hosts[swarm.manager.name].login,
            provider: hosts[swarm.manager.name].docker!,
            secrets: { seaweedfs_db_password: args.filerPassword },
            configs: { filer: renderFilerToml(c) },
            nameKey: args.nameKey,
            render: (names) => seaweedStack(c, names.configs, names.secrets),
            convergeTimeout: c.swarm.convergeTimeout,
        }, { parent: this, dependsOn: [args.databaseReady, ...dirs, ...Object.values(swarm.members)] });
        this.stackFile = stack.stackFile;
        this.mountPoint = w.mountPoint;

        const mount = (n: NodeSpec, makeDirs: boolean, after: pulumi.Resource[]) => runScript(`${name}-${n.name}-mount`, {
            login: hosts[n.name].login,
            script: "seaweed-mount",
            env: {
                IMAGE: c.swarm.images.seaweedfs,
                MOUNT_POINT: w.mountPoint,
                FILERS: filerList(c, n),
                FILER_PATH: w.filerPath,
                MAKE_DIRS: makeDirs ? SHARED_DIRS.join(" ") : "",
                OWNER: `${APP_UID}:${APP_UID}`,
            },
            deleteScript: "seaweed-unmount",
            deleteEnv: { MOUNT_POINT: w.mountPoint },
        }, { parent: this, dependsOn: [stack.deployed, ...after] });
        const first = mount(c.first, true, []);
        this.mounts = { [c.first.name]: first };
        for (const n of c.nodes.filter((x) => x.name !== c.first.name)) this.mounts[n.name] = mount(n, false, [first]);
        this.registerOutputs({});
    }
}
