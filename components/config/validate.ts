import { isIP } from "node:net";
import { z } from "zod";
import { HAPROXY_STATS_PORT, PROMETHEUS_PORT } from "./fixedPorts";
import { checkEdgeCertificate, parseChain } from "./edgeCertificate";
import { CONTROL_CHARS } from "./rules";
import { configSchema, NAMESPACE, ParsedConfig, PGACTIVE_RELEASES, pgactiveSourceSha256, Role } from "./schema";

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
    /** The host's SSH key as configured (type and key, no comment); absent with trust on first use. */
    hostKey?: string;
}

type ParsedDatabase = ParsedConfig["database"];

/** Database settings with the topology's defaults filled in. */
export interface DatabaseConfig extends Omit<ParsedDatabase, "engine"> {
    engine: "pgactive" | "patroni";
}

/** Storage settings with the topology's default backend filled in. */
export interface StorageConfig extends Omit<ParsedConfig["storage"], "backend"> {
    backend: "glusterfs" | "seaweedfs";
}

export interface ClusterConfig extends Omit<ParsedConfig, "nodes" | "sshPrivateKey" | "edgeCertificateKey" | "database" | "storage"> {
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
    /** Where the Redis master starts on a new cluster; Sentinel moves it afterwards. */
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

type Section = keyof typeof configSchema.shape;

/**
 * Parse, apply defaults and check cross-field rules; throws one ConfigError listing every problem.
 * A section that does not parse is left out of the cross-field checks that read it, and every
 * other check still runs: one run shows every problem.
 */
export function validateConfig(raw: unknown): ClusterConfig {
    const problems: string[] = [];
    const at = (path: PropertyKey[], msg: string) => problems.push(`${formatPath(path)}: ${msg}`);
    const input = (raw && typeof raw === "object" ? raw : {}) as Record<string, unknown>;
    checkControlChars(input, [], at);
    // These checks read only a few raw fields, so they report even when other keys are malformed.
    const r = input as { nodes?: unknown; topology?: unknown; sshPrivateKey?: unknown; ssh?: { privateKeyPath?: unknown }; database?: { engine?: unknown }; storage?: { backend?: unknown } };
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

    const parsed = configSchema.safeParse(input, { reportInput: true });
    let c: ParsedConfig;
    // Dotted paths of the values that did not parse ("" for the whole config).
    const failed: string[] = [];
    if (parsed.success) {
        c = parsed.data;
    } else {
        for (const issue of parsed.error.issues) {
            problems.push(...describeIssue(issue));
            // An unknown key spoils no value.
            if (issue.code !== "unrecognized_keys") failed.push(issue.path.map(String).join("."));
        }
        c = parseAround(input, parsed.error.issues);
    }
    // Whether every value under these dotted paths parsed.
    const ok = (...paths: string[]) => paths.every((p) => !failed.some((f) => f === "" || f === p || f.startsWith(`${p}.`) || p.startsWith(`${f}.`)));
    crossChecks(c, ok, at);
    if (problems.length > 0) throw new ConfigError(problems);
    const storage = { ...c.storage, backend: backendOf(c) };
    return resolve({ ...c, database: { ...c.database, engine: engineOf(c) }, storage }, c.nodes.map((n, i) => n.id ?? i + 1));
}

/**
 * The config with each value that did not parse left out (so at its default), for the cross-field
 * checks; what a check reads from a bad value it must not trust (see `ok`).
 */
function parseAround(input: Record<string, unknown>, issues: z.core.$ZodIssue[]): ParsedConfig {
    const copy = structuredClone(input);
    for (const issue of issues) {
        if (issue.code === "unrecognized_keys" || issue.path.length === 0) continue;
        let at: unknown = copy;
        for (const k of issue.path.slice(0, -1)) at = at && typeof at === "object" ? (at as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined;
        if (at && typeof at === "object") delete (at as Record<PropertyKey, unknown>)[issue.path[issue.path.length - 1] as PropertyKey];
    }
    const sections: Record<string, unknown> = {};
    for (const key of Object.keys(configSchema.shape) as Section[]) {
        const one = configSchema.shape[key].safeParse(copy[key]);
        const fallback = one.success ? one : configSchema.shape[key].safeParse(undefined);
        sections[key] = fallback.success ? fallback.data : undefined;
    }
    sections.nodes ??= [];
    return sections as ParsedConfig;
}

/** The database engine and shared file system a topology runs when the config names none. */
const engineOf = (c: Pick<ParsedConfig, "topology" | "database">) => c.database.engine ?? (c.topology === "swarm" ? "patroni" : "pgactive");
const backendOf = (c: Pick<ParsedConfig, "topology" | "storage">) => c.storage.backend ?? (c.topology === "swarm" ? "seaweedfs" : "glusterfs");

/** Rules between sections; each runs only when the sections it reads parsed. */
function crossChecks(c: ParsedConfig, ok: (...paths: string[]) => boolean, at: Report) {
    const engine = engineOf(c);
    if (ok("nodes")) {
        c.nodes.forEach((n, i) => {
            if (!n.clusterAddress && isIP(n.address) === 0) {
                at(["nodes", i, "clusterAddress"], `required because address '${n.address}' is a host name (cluster traffic and firewall rules need an IP)`);
            }
        });
    }
    if (ok("nodes", "ssh.trustOnFirstUse") && !c.ssh.trustOnFirstUse) {
        c.nodes.forEach((n, i) => {
            if (!n.hostKey) {
                at(["nodes", i, "hostKey"], `required: the SSH key of ${n.address} ('ssh-keyscan -t ed25519 ${n.address}' prints it; compare it on the host's console), or set ssh.trustOnFirstUse: true to keep the first key seen`);
            }
        });
    }
    if (ok("firewall.enabled", "firewall.managementCidrs") && c.firewall.enabled && !c.firewall.managementCidrs) {
        at(["firewall", "managementCidrs"], "required while the firewall is enabled: the addresses or networks (such as 192.0.2.10/32) that may reach SSH, the Docker API and Prometheus; nothing defaults to anywhere");
    }
    if (ok("topology", "database.engine", "database.patroni")) {
        const patroni = c.database.patroni;
        if (engine === "patroni" && patroni.loopWait + 2 * patroni.retryTimeout > patroni.ttl) {
            at(["database", "patroni", "ttl"], `loopWait + 2 * retryTimeout (${patroni.loopWait + 2 * patroni.retryTimeout}) must not exceed ttl (${patroni.ttl}), or a healthy leader can lose its lease`);
        }
    }
    if (ok("nodes", "topology", "database.engine", "database.pgactive.maxNodes") && engine === "pgactive") {
        const maxNodes = c.database.pgactive.maxNodes;
        c.nodes.forEach((n, i) => {
            const id = n.id ?? i + 1;
            if (id > maxNodes) at(["nodes", i, "id"], `id ${id} exceeds database.pgactive.maxNodes (${maxNodes})`);
        });
    }
    if (ok("topology", "database.engine", "database.pgactive") && engine === "pgactive") {
        const p = c.database.pgactive;
        if (p.install === "source" && !pgactiveSourceSha256(p) && !p.allowUnverifiedSource) {
            at(["database", "pgactive", "sourceSha256"], `required to build pgactive ${p.version}: no checksum is known for that release ` +
                `(known: ${Object.keys(PGACTIVE_RELEASES).join(", ")}); give its tarball's sha256, or set database.pgactive.allowUnverifiedSource: true to build it unchecked`);
        }
    }
    if (ok("nodes", "edge.enabled", "edge.virtualAddress") && c.edge.virtualAddress) checkVirtualAddress(c, c.edge.virtualAddress, at);
    if (ok("edge.certificate", "edgeCertificateKey", "edge.tls", "edge.hostnames")) checkEdgeCertificate(c.edge.certificate, c.edgeCertificateKey, c.edge, at);
    if (ok("nodes", "topology", "database.engine", "database.pgactive.maxNodes", "storage.backend")) checkRoles(c, engine, at);
    if (ok("topology", "database.engine", "storage.backend", "edge.enabled", "edge.tls", "monitoring.enabled", "monitoring.prometheus")) {
        checkPorts(c, engine, (path) => ok(path.map(String).join(".")), at);
    }
}

function checkVirtualAddress(c: ParsedConfig, vip: string, at: Report) {
    const path = ["edge", "virtualAddress"];
    if (!c.edge.enabled) return at(path, "needs edge.enabled: the address follows a node whose HAProxy runs");
    const owner = c.nodes.find((n) => n.address === vip || n.clusterAddress === vip);
    if (owner) return at(path, `${vip} is ${owner.name}'s own address; give an unused one in the nodes' subnet`);
    const other = c.nodes.find((n) => ![0, isIP(vip)].includes(isIP(n.clusterAddress ?? n.address)));
    if (other) at(path, `${vip} and ${other.name}'s cluster address ${other.clusterAddress ?? other.address} are not of one IP family (the nodes elect its holder over their cluster addresses)`);
}

function checkRoles(c: ParsedConfig, engine: string, at: Report) {
    const maxNodes = c.database.pgactive.maxNodes;
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
        if (dataCount === 0 && c.nodes.length > 0) at(["nodes"], "at least one node must not be an arbiter");
    } else {
        arbiters.forEach(({ i }) => at(["nodes", i, "roles"], "the swarm topology has no arbiter: SeaweedFS keeps its own copies"));
        if (c.storage.backend === "glusterfs" && c.nodes.length === 2) {
            at(["storage", "backend"], "GlusterFS on two swarm nodes is replica 2 without an arbiter, which splits brain; add a third node or use 'seaweedfs'");
        }
    }
}

/** Two services on one port of a node: the second never starts. */
function checkPorts(c: ParsedConfig, engine: string, parsedAt: (path: PropertyKey[]) => boolean, at: Report) {
    for (const [port, all] of portUsers(c, engine)) {
        // A port that did not parse stands at its default here: it collides with nothing.
        const users = all.filter((u) => u.path.length === 0 || parsedAt(u.path));
        if (users.length < 2) continue;
        // Named at every setting involved: either may be the one to change.
        users.forEach((u, i) => {
            if (u.path.length > 0) at(u.path, `port ${port} is also used by ${users.filter((_, k) => k !== i).map((o) => o.what).join(", ")}`);
        });
    }
}

interface PortUser { path: PropertyKey[]; what: string }

/** Every TCP port this config makes a node listen on, and who listens there. */
export function portUsers(c: ParsedConfig, engine: string): Map<number, PortUser[]> {
    const used = new Map<number, PortUser[]>();
    const add = (port: number, path: PropertyKey[], what = formatPath(path)) => used.set(port, [...(used.get(port) ?? []), { path, what }]);
    const fixed = (port: number, what: string) => add(port, [], what);
    const swarm = c.topology === "swarm";
    const backend = backendOf(c);
    add(c.ssh.port, ["ssh", "port"]);
    add(c.host.dockerApiPort, ["host", "dockerApiPort"]);
    add(c.database.port, ["database", "port"]);
    add(c.app.port, ["app", "port"]);
    add(c.app.redisPort, ["app", "redisPort"]);
    add(c.app.sentinelPort, ["app", "sentinelPort"]);
    add(c.app.redisRouterPort, ["app", "redisRouterPort"]);
    if (engine === "pgactive") add(c.database.pgactive.routerPort, ["database", "pgactive", "routerPort"]);
    if (engine === "patroni") {
        add(c.database.patroni.restApiPort, ["database", "patroni", "restApiPort"]);
        if (!swarm) add(c.database.patroni.routerPort, ["database", "patroni", "routerPort"]);
        fixed(2379, "etcd (clients)");
        fixed(2380, "etcd (peers)");
    }
    if (c.edge.enabled) {
        add(c.edge.httpPort, ["edge", "httpPort"]);
        if (c.edge.tls) add(c.edge.httpsPort, ["edge", "httpsPort"]);
        add(c.edge.agentPort, ["edge", "agentPort"]);
        fixed(HAPROXY_STATS_PORT, "HAProxy's statistics (loopback)");
    }
    if (c.monitoring.enabled) {
        add(c.monitoring.nodeExporterPort, ["monitoring", "nodeExporterPort"]);
        if (!swarm) add(c.monitoring.postgresExporterPort, ["monitoring", "postgresExporterPort"]);
        if (c.monitoring.prometheus) fixed(PROMETHEUS_PORT, "Prometheus");
    }
    if (swarm) {
        add(c.swarm.pgbouncerPort, ["swarm", "pgbouncerPort"]);
        add(c.swarm.exporterPort, ["swarm", "exporterPort"]);
        fixed(2377, "the swarm's control plane");
        fixed(7946, "the swarm's gossip");
    }
    if (backend === "glusterfs") {
        fixed(24007, "glusterd");
        fixed(24008, "glusterd");
    } else {
        const w = c.storage.seaweedfs;
        for (const [key, p] of [["masterPort", w.masterPort], ["volumePort", w.volumePort], ["filerPort", w.filerPort]] as const) {
            add(p, ["storage", "seaweedfs", key]);
            add(p + 10000, ["storage", "seaweedfs", key], `storage.seaweedfs.${key} + 10000 (gRPC)`);
        }
        add(w.s3Port, ["storage", "seaweedfs", "s3Port"]);
        for (let k = 0; k < 4; k++) add(w.metricsPort + k, ["storage", "seaweedfs", "metricsPort"], `storage.seaweedfs.metricsPort + ${k}`);
    }
    return used;
}

/** Values of several lines: the SSH key, and the edge's PEM certificate and key (parsed and written out anew). */
const MULTILINE = new Set(["sshPrivateKey", "edgeCertificateKey", "edge.certificate"]);

/** Control characters (a newline above all) in any string but those of several lines. */
function checkControlChars(value: unknown, path: PropertyKey[], at: Report) {
    if (typeof value === "string") {
        if (CONTROL_CHARS.test(value) && !MULTILINE.has(path.map(String).join("."))) {
            at(path, "must not contain control characters (a newline, tab or escape)");
        }
    } else if (Array.isArray(value)) {
        value.forEach((v, i) => checkControlChars(v, [...path, i], at));
    } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (CONTROL_CHARS.test(k)) at(path, `has a key with control characters (${JSON.stringify(k)})`);
            else checkControlChars(v, [...path, k], at);
        }
    }
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
        hostKey: n.hostKey?.trim().split(/ +/).slice(0, 2).join(" "),
    }));
    const dataNodes = nodes.filter((n) => !n.arbiter);
    const pick = (r: Role) => dataNodes.find((n) => n.roles.includes(r)) ?? dataNodes[0];
    const { sshPrivateKey: _key, edgeCertificateKey: _edgeKey, nodes: _nodes, ...rest } = c;
    // Only the certificates of the chain, as PEM written anew: nothing else in the value reaches a host.
    const edge = c.edge.certificate === undefined ? c.edge : { ...c.edge, certificate: parseChain(c.edge.certificate).map((x) => x.toString()).join("") };
    return {
        ...rest,
        edge,
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
