import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Host, runScript } from "../host";
import { SwarmCluster, SwarmStack } from "../swarm";
import { APP_UID, SHARED_DIRS } from "./glusterPlan";
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
        const dirs = c.nodes.map((n) => runScript(`${name}-${n.name}-dirs`, {
            login: hosts[n.name].login,
            script: "swarm-dirs",
            env: { DIRS: [`${w.volumeDir} 0700`, ...(managers.has(n.name) ? [`${w.masterDir} 0700`] : [])].join("\n") + "\n" },
            deleteScript: "swarm-dirs-delete",
            deleteEnv: { STACK: STORAGE_STACK, KEEP: w.volumeDir, SCRATCH: managers.has(n.name) ? w.masterDir : "", RETAIN: c.storage.retainOnDestroy ? "1" : "0" },
        }, { parent: this, dependsOn: hosts[n.name].ready }));

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

        const mount = (n: ClusterConfig["nodes"][number], makeDirs: boolean, after: pulumi.Resource[]) => runScript(`${name}-${n.name}-mount`, {
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
