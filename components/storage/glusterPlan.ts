import { ClusterConfig, NodeSpec } from "../config";

/**
 * Directories on the volume: media, export and the upload scratch dir are shared by every
 * instance; consume is watched by the singleton only.
 */
export const SHARED_DIRS = ["media", "consume", "export", "scratch"];

export interface GlusterPlan {
    /** `address:path`, data bricks first, the arbiter's last. */
    bricks: string[];
    arbiter: boolean;
    options: Record<string, string>;
    /** Global server-quorum ratio, or "" when quorum makes no sense (one brick). */
    quorumRatio: string;
}

export function brickPath(c: ClusterConfig): string {
    return `${c.storage.gluster.brickDir}/brick`;
}

/** The volume layout and options for the node list. Pure. */
export function glusterPlan(c: ClusterConfig): GlusterPlan {
    const ordered = [...c.dataNodes, ...(c.arbiter ? [c.arbiter] : [])];
    const bricks = ordered.map((n) => `${n.clusterAddress}:${brickPath(c)}`);
    const replicated = bricks.length > 1;
    const defaults: Record<string, string> = replicated
        ? {
            // Client quorum: writes need a majority of the replica set (split-brain guard).
            "cluster.quorum-type": "auto",
            // Server quorum: glusterd stops bricks on a node that loses the majority of peers.
            "cluster.server-quorum-type": "server",
            "cluster.self-heal-daemon": "on",
            "network.ping-timeout": "10",
        }
        : {};
    return {
        bricks,
        arbiter: c.arbiter !== undefined,
        options: { ...defaults, ...c.storage.gluster.options },
        quorumRatio: replicated ? "51%" : "",
    };
}

/** Other volfile servers a node's mount falls back to. */
export function backupServers(c: ClusterConfig, node: NodeSpec): string[] {
    return c.nodes.filter((n) => n.name !== node.name).map((n) => n.clusterAddress);
}
