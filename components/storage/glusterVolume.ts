import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, NodeSpec } from "../config";
import { Host, runScript } from "../host";
import { APP_UID } from "../host/paths";
import { backupServers, brickPath, glusterPlan, SHARED_DIRS } from "./glusterPlan";

export interface GlusterVolumeArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
}

/**
 * A GlusterFS replicated volume across every node (arbiter brick on the arbiter), created from the
 * first node once every brick host is ready, and mounted on every data node after it has started.
 * A lost host is replaced under its name: the first node probes it in and moves its brick; when
 * the first node's own host is the new one, the second node lets it into the pool.
 */
export class GlusterVolume extends pulumi.ComponentResource {
    /** Mounted volume per data node. */
    public readonly mounts: Record<string, command.remote.Command>;
    public readonly mountPoint: string;

    constructor(name: string, args: GlusterVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:storage:GlusterVolume", name, {}, opts);
        const { cluster: c, hosts } = args;
        const plan = glusterPlan(c);
        const volumeName = c.storage.gluster.volume;
        const retain = c.storage.retainOnDestroy ? "1" : "0";
        this.mountPoint = c.storage.gluster.mountPoint;

        const bricks = c.nodes.map((n) => runScript(`${name}-${n.name}-brick`, {
            login: hosts[n.name].login,
            script: "gluster-brick",
            env: { BRICK_DIR: brickPath(c) },
            deleteScript: "gluster-brick-delete",
            deleteEnv: { BRICK_DIR: brickPath(c), RETAIN: retain },
        }, { parent: this, dependsOn: hosts[n.name].ready }));

        const first = c.first;
        const peers = c.nodes.filter((n) => n.name !== first.name).map((n) => n.clusterAddress).join(" ");
        const firewalls = c.nodes.map((n) => hosts[n.name].firewall);
        // A new host under the first node's name is let into the pool by the second node.
        const second = c.nodes.find((n) => n.name !== first.name);
        const firstUuid = bricks[c.nodes.indexOf(first)].stdout.apply((s) => s.trim());
        const pool = second ? [runScript(`${name}-pool`, {
            login: hosts[second.name].login,
            script: "gluster-pool",
            env: { VOLUME: volumeName, FIRST: first.clusterAddress, FIRST_UUID: firstUuid },
        }, { parent: this, dependsOn: [...bricks, ...firewalls] })] : [];
        // Peers must admit each other (firewall) before the probe.
        const volume = runScript(`${name}-volume`, {
            login: hosts[first.name].login,
            script: "gluster-volume",
            env: {
                VOLUME: volumeName,
                PEERS: peers,
                BRICKS: plan.bricks.join("\n"),
                ARBITER: plan.arbiter ? "1" : "0",
                OPTIONS: Object.entries(plan.options).map(([k, v]) => `${k}=${v}`).join("\n"),
                QUORUM_RATIO: plan.quorumRatio,
            },
            deleteScript: "gluster-volume-delete",
            deleteEnv: { VOLUME: volumeName, PEERS: peers },
        }, { parent: this, dependsOn: [...bricks, ...firewalls, ...pool] });

        const mount = (n: NodeSpec, makesDirs: boolean, after: pulumi.Resource[]) => runScript(`${name}-${n.name}-mount`, {
            login: hosts[n.name].login,
            script: "gluster-mount",
            env: {
                VOLUME: volumeName,
                SERVER: n.clusterAddress,
                BACKUP_SERVERS: backupServers(c, n).join(":"),
                MOUNT_POINT: this.mountPoint,
                APP_UID: String(APP_UID),
                SUBDIRS: makesDirs ? SHARED_DIRS.join(" ") : "",
            },
            deleteScript: "gluster-unmount",
            deleteEnv: { MOUNT_POINT: this.mountPoint },
        }, { parent: this, dependsOn: [volume, ...after] });
        // One node makes the shared directories; the same directory created from several clients
        // at once can end up with different identities on the replicas (I/O errors afterwards).
        const firstMount = mount(c.first, true, []);
        this.mounts = { [c.first.name]: firstMount };
        for (const n of c.dataNodes.filter((d) => d.name !== c.first.name)) this.mounts[n.name] = mount(n, false, [firstMount]);
        this.registerOutputs({});
    }
}
