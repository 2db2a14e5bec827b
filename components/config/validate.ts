import { isIP } from "node:net";
import { z } from "zod";
import { configSchema, NAMESPACE, ParsedConfig, Role } from "./schema";

/** Every problem in the stack config, each naming its config path; thrown before any resource exists. */
export class ConfigError extends Error {
    constructor(public readonly problems: string[]) {
        super(`invalid stack config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

export interface NodeSpec {
    name: string;
    /** What the operator dials (SSH, Docker API). */
    address: string;
    /** What the nodes use among themselves. Always an IP. */
    clusterAddress: string;
    /** Stable slot 1..maxNodes. */
    id: number;
    roles: Role[];
    /** Storage witness only: no database, no app. */
    arbiter: boolean;
}

type ParsedDatabase = ParsedConfig["database"];

/** Database settings with the topology's defaults filled in. */
export interface DatabaseConfig extends Omit<ParsedDatabase, "engine" | "patroni"> {
    engine: "pgactive" | "patroni";
    patroni: Required<ParsedDatabase["patroni"]>;
}

/** Storage settings with the topology's default backend filled in. */
export interface StorageConfig extends Omit<ParsedConfig["storage"], "backend"> {
    backend: "glusterfs" | "seaweedfs";
}

export interface ClusterConfig extends Omit<ParsedConfig, "nodes" | "sshPrivateKey" | "database" | "storage"> {
    database: DatabaseConfig;
    storage: StorageConfig;
    nodes: NodeSpec[];
    /** Swarm managers (raft), etcd members and SeaweedFS masters in the swarm topology: an odd number of the first nodes. */
    managers: NodeSpec[];
    /** Nodes that run the database and the app (all but the arbiter). */
    dataNodes: NodeSpec[];
    arbiter?: NodeSpec;
    /** Holds consumer, scheduler and migrations. */
    singleton: NodeSpec;
    /** Runs the one Redis every app instance shares. */
    redis: NodeSpec;
    /** Creates the database group and the storage volume. */
    first: NodeSpec;
}

/** Where the shared file system is mounted on the nodes (the app's media, consume and export are in it). */
export const sharedMount = (c: ClusterConfig): string =>
    c.storage.backend === "glusterfs" ? c.storage.gluster.mountPoint : c.storage.seaweedfs.mountPoint;

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
    let out = NAMESPACE;
    path.forEach((p, i) => {
        if (typeof p === "number") out += `[${p}]`;
        else out += i === 0 ? `:${String(p)}` : `.${String(p)}`;
    });
    return out;
}

function duplicates<T>(items: T[], key: (t: T) => string | undefined): Map<string, number[]> {
    const seen = new Map<string, number[]>();
    items.forEach((t, i) => {
        const k = key(t);
        if (k !== undefined) seen.set(k, [...(seen.get(k) ?? []), i]);
    });
    return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

/** Parse, apply defaults and check cross-field rules; throws one ConfigError listing every problem. */
export function validateConfig(raw: unknown): ClusterConfig {
    const parsed = configSchema.safeParse(raw, { reportInput: true });
    const problems: string[] = [];
    const at = (path: PropertyKey[], msg: string) => problems.push(`${formatPath(path)}: ${msg}`);
    // These checks read only a few raw fields, so they report even when other keys are malformed.
    const r = (raw ?? {}) as { nodes?: unknown; topology?: unknown; sshPrivateKey?: unknown; ssh?: { privateKeyPath?: unknown }; database?: { engine?: unknown }; storage?: { backend?: unknown } };
    checkNodeList(Array.isArray(r.nodes) ? r.nodes : [], at);
    if (r.topology !== "swarm" && r.storage?.backend === "seaweedfs") {
        at(["storage", "backend"], "SeaweedFS runs in the swarm topology only; use 'glusterfs' or set topology: swarm");
    }
    if (r.topology === "swarm" && r.database?.engine === "pgactive") {
        at(["database", "engine"], "the swarm topology runs Patroni; remove database.engine or set it to 'patroni'");
    }
    const keyPath = r.ssh?.privateKeyPath;
    if (!r.sshPrivateKey && !keyPath) {
        at(["sshPrivateKey"], "no SSH key: set the secret sshPrivateKey or ssh.privateKeyPath");
    }
    if (r.sshPrivateKey && keyPath) {
        at(["ssh", "privateKeyPath"], "set either the secret sshPrivateKey or ssh.privateKeyPath, not both");
    }
    if (!parsed.success) {
        throw new ConfigError([...parsed.error.issues.flatMap(describeIssue), ...problems]);
    }
    const c = parsed.data;
    c.nodes.forEach((n, i) => {
        if (!n.clusterAddress && isIP(n.address) === 0) {
            at(["nodes", i, "clusterAddress"], `required because address '${n.address}' is a host name (cluster traffic and firewall rules need an IP)`);
        }
    });

    const swarm = c.topology === "swarm";
    const engine = c.database.engine ?? (swarm ? "patroni" : "pgactive");
    const timing = swarm ? { ttl: 10, loopWait: 2, retryTimeout: 4 } : { ttl: 20, loopWait: 5, retryTimeout: 5 };
    const p = c.database.patroni;
    const patroni = { ...p, ttl: p.ttl ?? timing.ttl, loopWait: p.loopWait ?? timing.loopWait, retryTimeout: p.retryTimeout ?? timing.retryTimeout };
    if (engine === "patroni" && patroni.loopWait + 2 * patroni.retryTimeout > patroni.ttl) {
        at(["database", "patroni", "ttl"], `loopWait + 2 * retryTimeout (${patroni.loopWait + 2 * patroni.retryTimeout}) must not exceed ttl (${patroni.ttl}), or a healthy leader can lose its lease`);
    }

    const maxNodes = c.database.pgactive.maxNodes;
    const ids = c.nodes.map((n, i) => n.id ?? i + 1);
    if (engine === "pgactive") {
        ids.forEach((id, i) => {
            if (id > maxNodes) at(["nodes", i, "id"], `id ${id} exceeds database.pgactive.maxNodes (${maxNodes})`);
        });
    }

    const withRole = (r: Role) => c.nodes.map((n, i) => ({ n, i })).filter(({ n }) => n.roles.includes(r));
    for (const r of ["singleton", "redis", "arbiter"] as const) {
        const holders = withRole(r);
        if (holders.length > 1) at(["nodes", holders[1].i, "roles"], `role '${r}' may be held by one node only (also ${holders[0].n.name})`);
    }
    const arbiters = withRole("arbiter");
    arbiters.forEach(({ n, i }) => {
        if (n.roles.length > 1) at(["nodes", i, "roles"], "an arbiter holds no other role");
    });
    const dataCount = c.nodes.length - arbiters.length;
    if (c.topology === "classic") {
        if (dataCount === 2 && arbiters.length === 0) {
            at(["nodes"], "two storage nodes need a third node with role 'arbiter': replica 2 without an arbiter splits brain");
        }
        if (arbiters.length > 0 && dataCount !== 2) {
            at(["nodes", arbiters[0].i, "roles"], `an arbiter is only used with exactly two data nodes (there are ${dataCount})`);
        }
        if (engine === "pgactive" && dataCount > maxNodes) {
            at(["database", "pgactive", "maxNodes"], `${dataCount} database nodes exceed pgactive.max_nodes (${maxNodes}); raise maxNodes`);
        }
        if (dataCount === 0) at(["nodes"], "at least one node must not be an arbiter");
    } else {
        arbiters.forEach(({ i }) => at(["nodes", i, "roles"], "the swarm topology has no arbiter: SeaweedFS keeps its own copies"));
        if (c.storage.backend === "glusterfs" && c.nodes.length === 2) {
            at(["storage", "backend"], "GlusterFS on two swarm nodes is replica 2 without an arbiter, which splits brain; add a third node or use 'seaweedfs'");
        }
    }

    if (problems.length > 0) throw new ConfigError(problems);
    const storage = { ...c.storage, backend: c.storage.backend ?? (swarm ? "seaweedfs" as const : "glusterfs" as const) };
    return resolve({ ...c, database: { ...c.database, engine, patroni }, storage }, ids);
}

type Report = (path: PropertyKey[], msg: string) => void;

/** Duplicate names, addresses and ids, from the raw list (entries of any shape are tolerated). */
function checkNodeList(nodes: unknown[], at: Report) {
    const field = (n: unknown, k: string): unknown => (n && typeof n === "object" ? (n as Record<string, unknown>)[k] : undefined);
    const str = (v: unknown) => (typeof v === "string" ? v : undefined);
    for (const [name, idx] of duplicates(nodes, (n) => str(field(n, "name")))) {
        at(["nodes", idx[1], "name"], `duplicate node name '${name}' (also nodes[${idx[0]}])`);
    }
    const addresses = nodes.flatMap((n, i) =>
        [...new Set([str(field(n, "address")), str(field(n, "clusterAddress"))])].filter((a) => a !== undefined).map((a) => ({ a, i })));
    for (const [addr, idx] of duplicates(addresses, (x) => x.a)) {
        const nodesAt = [...new Set(idx.map((k) => addresses[k].i))];
        if (nodesAt.length > 1) at(["nodes", nodesAt[1], "address"], `duplicate address '${addr}' (also nodes[${nodesAt[0]}])`);
    }
    const ids = nodes.map((n, i) => (typeof field(n, "id") === "number" ? String(field(n, "id")) : String(i + 1)));
    for (const [id, idx] of duplicates(ids, (x) => x)) {
        at(["nodes", idx[1], "id"], `duplicate node id ${id} (also nodes[${idx[0]}]; ids default to list position + 1)`);
    }
}

/** Raft wants an odd member count: the largest odd number within both the setting and the node count. */
export function managerCount(wanted: number, nodes: number): number {
    const n = Math.min(wanted, nodes);
    return n % 2 === 1 ? n : n - 1;
}

function resolve(c: Omit<ParsedConfig, "database" | "storage"> & { database: DatabaseConfig; storage: StorageConfig }, ids: number[]): ClusterConfig {
    const nodes: NodeSpec[] = c.nodes.map((n, i) => ({
        name: n.name,
        address: n.address,
        clusterAddress: n.clusterAddress ?? n.address,
        id: ids[i],
        roles: n.roles,
        arbiter: n.roles.includes("arbiter"),
    }));
    const dataNodes = nodes.filter((n) => !n.arbiter);
    const pick = (r: Role) => dataNodes.find((n) => n.roles.includes(r)) ?? dataNodes[0];
    const { sshPrivateKey: _key, nodes: _nodes, ...rest } = c;
    return {
        ...rest,
        nodes,
        managers: nodes.slice(0, managerCount(c.swarm.managers, nodes.length)),
        dataNodes,
        arbiter: nodes.find((n) => n.arbiter),
        singleton: pick("singleton"),
        redis: pick("redis"),
        first: dataNodes[0],
    };
}

function describeIssue(issue: z.core.$ZodIssue): string[] {
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((k) => `${formatPath([...issue.path, k])}: unknown key`);
    }
    if (issue.code === "invalid_type" && issue.input === undefined) {
        return [`${formatPath(issue.path)}: required`];
    }
    return [`${formatPath(issue.path)}: ${issue.message}`];
}
