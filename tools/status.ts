/**
 * `npm run status -- [STACK|FILE.yaml]`: one readable summary of a running cluster, read over SSH
 * from every node (scripts/host/status.sh, which changes nothing): reachability, load and disk,
 * the database members and their lag, the shared volume's bricks, pending heals and split-brain,
 * each node's app, and the age of the newest backup. Exits 1 when anything needs attention.
 * SSH uses the stack's `ssh.privateKeyPath`, else the operator's agent and default keys. A node's
 * pinned `hostKey` is the only key accepted; without one (trust on first use) host keys are checked
 * against ~/.ssh/known_hosts (new hosts are added), or the file `--known-hosts FILE`.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ClusterConfig, sharedMount, validateConfig } from "../components/config";
import { nodeDbService } from "../components/database/patroniStack";
import { HAPROXY_STATS_URL } from "../components/edge";
import { holdsVirtualAddress, hostScript, renderStdin, rootShell } from "../components/host";
import { REDIS_CONF_DIR, REDIS_MASTER_NAME, redisNodes, redisPortOn, sentinelNodes } from "../components/redis/redisConf";
import { readStackFile } from "./support/stackFile";
import { ROOT, stackPath } from "./plan";

export type NodeFacts = Record<string, string>;
interface Member { Member: string; Role: string; State: string; "Lag in MB"?: number | string }

/** The verdict on what the nodes reported: summary lines and the problems among them. Pure. */
export function assess(c: ClusterConfig, facts: Record<string, NodeFacts | Error>): { lines: string[]; problems: string[] } {
    const lines: string[] = [];
    const problems: string[] = [];
    const row = (cells: string[]) => cells.map((x, i) => x.padEnd([8, 16, 10, 6, 6, 8, 5][i] ?? 0)).join(" ").trimEnd();
    lines.push(row(["node", "address", "reachable", "load", "disk", "mount", "app"]));
    let members: Member[] | undefined;
    for (const n of c.nodes) {
        const f = facts[n.name];
        if (f instanceof Error) {
            lines.push(row([n.name, n.address, "NO"]));
            problems.push(`${n.name} unreachable: ${f.message.split("\n")[0]}`);
            continue;
        }
        const app = n.arbiter ? "-" : f.app;
        lines.push(row([n.name, n.address, "yes", f.load, f.disk_used, f.mount, app]));
        if (!n.arbiter && f.mount !== "ok") problems.push(`${n.name}: shared volume not mounted`);
        // A login redirect or an auth refusal still means the instance serves.
        if (!n.arbiter && !/^[234]\d\d$/.test(app)) problems.push(app === "000" ? `${n.name}: app does not answer` : `${n.name}: app answers ${app}`);
        if (f.pgactive !== undefined) {
            const ready = f.pgactive.split(",").filter((m) => m.endsWith(":r")).map((m) => m.slice(0, -2)).sort();
            const listed = c.dataNodes.map((d) => d.name).sort();
            if (ready.join() !== listed.join()) problems.push(`${n.name}: pgactive nodes ${f.pgactive || "none"}, where every listed node should be ready (r): ${listed.join(", ")}`);
            if (f.pgactive_stray_slots !== "0") problems.push(`${n.name}: ${f.pgactive_stray_slots} pgactive replication slot(s) for no member of the group, holding WAL until dropped (README, Status)`);
        }
        if (!members && f.db_members) {
            try {
                members = JSON.parse(f.db_members) as Member[];
            } catch { /* a member mid-restart prints partial output; another node will do */ }
        }
        if (Number(f.split_brain) > 0) problems.push(`${n.name}: ${f.split_brain} entries in split-brain`);
        if (f.keepalived !== undefined && f.keepalived !== "active") problems.push(`${n.name}: keepalived ${f.keepalived || "not installed"}, so it cannot take the virtual address`);
    }
    if (holdsVirtualAddress(c)) {
        // Only answering nodes count: an unreachable one may still hold it.
        const vip = c.edge.virtualAddress!;
        const holders = c.dataNodes.filter((n) => { const f = facts[n.name]; return !(f instanceof Error) && f.virtual_address === "held"; }).map((n) => n.name);
        if (holders.length === 1) lines.push(`edge: virtual address ${vip} on ${holders[0]}`);
        else if (holders.length === 0) problems.push(`edge: no answering node holds the virtual address ${vip}`);
        else problems.push(`edge: the virtual address ${vip} is on ${holders.join(" and ")} at once (VRRP between them is broken)`);
    }
    const first = c.nodes.map((n) => facts[n.name]).find((f): f is NodeFacts => !(f instanceof Error) && f.bricks_total !== undefined);
    if (first) {
        lines.push(`storage: volume ${c.storage.gluster.volume}: ${first.bricks_online}/${first.bricks_total} bricks online, ${first.heal_pending} entries to heal, ${first.split_brain} in split-brain`);
        if (first.bricks_online !== first.bricks_total) problems.push(`storage: ${first.bricks_online} of ${first.bricks_total} bricks online`);
        if (Number(first.heal_pending) > 0) problems.push(`storage: ${first.heal_pending} entries waiting to heal`);
    } else if (c.storage.backend === "glusterfs") {
        // No node read the volume: an unanswered question, never a healthy volume.
        const why = c.nodes.flatMap((n) => { const f = facts[n.name]; return f instanceof Error || !f?.volume_error ? [] : [`${n.name}: ${f.volume_error}`]; });
        problems.push(`storage: no node could read volume ${c.storage.gluster.volume}${why.length ? ` (${why.join("; ")})` : ""}`);
    }
    if (members) {
        lines.push(`database: ${members.map((m) => `${m.Member} ${m.Role} (${m.State}${m["Lag in MB"] ? `, lag ${m["Lag in MB"]} MB` : ""})`).join(", ")}`);
        const leaders = members.filter((m) => m.Role === "Leader");
        if (leaders.length !== 1) problems.push(`database: ${leaders.length} leaders`);
        const expected = c.dataNodes.length;
        const healthy = members.filter((m) => ["running", "streaming"].includes(m.State));
        if (healthy.length < expected) problems.push(`database: ${healthy.length} of ${expected} members running or streaming`);
        // The alert's threshold; patronictl reports lag in MiB.
        const maxLagMb = c.monitoring.maxReplicationLagBytes / 2 ** 20;
        for (const m of members) if (Number(m["Lag in MB"]) > maxLagMb) problems.push(`database: ${m.Member} lags ${m["Lag in MB"]} MB (more than ${maxLagMb} MB)`);
    } else if (c.database.engine === "patroni" || c.topology === "swarm") {
        problems.push("database: no node could list the Patroni members");
    }
    const pgactive = c.dataNodes.map((n) => [n.name, facts[n.name]] as const).filter((e): e is [string, NodeFacts] => !(e[1] instanceof Error) && e[1].pgactive !== undefined);
    if (pgactive.length) {
        // pgactive keeps the last write of a conflicting pair: each conflict is a write gone, worth a look.
        lines.push(`database: pgactive ${pgactive[0][1].pgactive}; conflicts resolved: ${pgactive.map(([n, f]) => `${n} ${f.pgactive_conflicts}`).join(", ")}`);
        // Every node's HAProxy must pick the same writer, or Paperless writes through two at once.
        const writers = new Set(pgactive.map(([, f]) => f.pgactive_writer));
        if (writers.size === 1 && !writers.has("none")) lines.push(`database: writer ${[...writers][0]}`);
        else problems.push(`database: the nodes' routers send writes to ${pgactive.map(([n, f]) => `${n} -> ${f.pgactive_writer}`).join(", ")}`);
    }
    redis(c, facts, lines, problems);
    const single = facts[c.singleton.name];
    if (c.backup.enabled && !(single instanceof Error) && single) {
        const age = single.backup_age_hours;
        lines.push(`backup: ${age === "none" ? "none yet" : `newest ${single.backup_last}, ${age} h old (overdue after ${c.backup.maxAgeHours} h)`}, timer ${single.backup_timer}`);
        if (single.backup_timer !== "active") problems.push(`backup: timer ${single.backup_timer} on ${c.singleton.name}`);
        if (age !== "none" && Number(age) > c.backup.maxAgeHours) problems.push(`backup: newest is ${age} h old`);
    }
    return { lines, problems };
}

/**
 * Redis: every answering Sentinel must name the same master, that Redis alone must say it is the
 * master, and every node's route must send Paperless to it and nowhere else.
 */
function redis(c: ClusterConfig, facts: Record<string, NodeFacts | Error>, lines: string[], problems: string[]) {
    const answering = (names: string[]) => names.flatMap((n) => { const f = facts[n]; return f instanceof Error || !f ? [] : [[n, f] as const]; });
    const sentinels = answering(sentinelNodes(c).map((n) => n.name));
    const redises = answering(redisNodes(c).map((n) => n.name));
    const byAddress = (a: string) => redisNodes(c).find((n) => `${n.clusterAddress} ${c.app.redisPort}` === a)?.name ?? a;
    const named = sentinels.filter(([, f]) => f.sentinel_master !== "unreachable" && f.sentinel_master !== "none");
    for (const [n, f] of sentinels) {
        if (f.sentinel_master === "unreachable") problems.push(`${n}: Sentinel does not answer`);
        else if (f.sentinel_master === "none") problems.push(`${n}: Sentinel names no master`);
    }
    const masters = new Set(named.map(([, f]) => byAddress(f.sentinel_master)));
    const claiming = redises.filter(([, f]) => f.redis_role === "master").map(([n]) => n);
    for (const [n, f] of redises) if (f.redis_role === "down") problems.push(`${n}: Redis does not answer`);
    if (masters.size > 1) {
        problems.push(`redis: the Sentinels name different masters: ${named.map(([n, f]) => `${n} -> ${byAddress(f.sentinel_master)}`).join(", ")}`);
    } else if (masters.size === 1) {
        const master = [...masters][0];
        const replicas = redises.filter(([n, f]) => n !== master && f.redis_role === "slave").map(([n]) => n);
        lines.push(`redis: master ${master}, replicas ${replicas.join(", ") || "none"}; ${named.length} of ${sentinelNodes(c).length} Sentinels agree`);
        if (!claiming.includes(master)) problems.push(`redis: the Sentinels name ${master}, whose Redis does not say it is the master`);
        for (const [n, f] of redises) {
            if (f.redis_route === undefined || f.redis_route === master) continue;
            const to = f.redis_route.split(" ");
            problems.push(f.redis_route === "none" ? `${n}: its Redis route reaches no master`
                : to.length > 1 ? `${n}: its Redis route passes ${to.join(" and ")} as the master at once`
                    : `${n}: its Redis route sends Paperless to ${to[0]}, not the master ${master}`);
        }
    } else if (sentinels.length) {
        problems.push("redis: no Sentinel names a master");
    }
    if (claiming.length > 1) problems.push(`redis: ${claiming.length} Redis say they are the master (${claiming.join(", ")})`);
}

/** A known-hosts file holding only this node's pinned key (removed when the process exits). */
function pinnedKnownHosts(address: string, port: number, hostKey: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-status-"));
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "known_hosts");
    fs.writeFileSync(file, `${port === 22 ? address : `[${address}]:${port}`} ${hostKey}\n`);
    return file;
}

/** What status.sh reads on one node. Pure. */
export function statusEnv(c: ClusterConfig, n: ClusterConfig["nodes"][number]): Record<string, string> {
    return {
        TOPOLOGY: c.topology, NODE_NAME: n.name, ADDRESS: n.clusterAddress, APP_PORT: String(c.app.port),
        ENGINE: c.database.engine, DB_NAME: c.database.name, VOLUME: c.storage.gluster.volume, MOUNT_POINT: sharedMount(c),
        BACKUP_DIR: c.backup.enabled && n.name === c.singleton.name ? c.backup.directory : "",
        STATS_URL: HAPROXY_STATS_URL,
        DB_SERVICE: nodeDbService(c, n.name),
        VIRTUAL_ADDRESS: holdsVirtualAddress(c) && !n.arbiter ? c.edge.virtualAddress! : "",
        REDIS_CONF_DIR, SENTINEL_PORT: String(c.app.sentinelPort), REDIS_MASTER_NAME,
        REDIS_PORT: redisPortOn(c, n),
    };
}

/** Run status.sh on one node over SSH (bounded: 30 s). */
function probe(c: ClusterConfig, n: ClusterConfig["nodes"][number], keyPath?: string, knownHosts?: string): Promise<NodeFacts> {
    const env = statusEnv(c, n);
    // A pinned key is the only one accepted, as in `up`; else the known-hosts file decides.
    const pinned = n.hostKey ? pinnedKnownHosts(n.address, c.ssh.port, n.hostKey) : undefined;
    const hostKeyArgs = pinned ? ["-o", `UserKnownHostsFile=${pinned}`, "-o", "StrictHostKeyChecking=yes", "-o", `HostKeyAlgorithms=${n.hostKey!.split(" ")[0]}`]
        : [...(knownHosts ? ["-o", `UserKnownHostsFile=${knownHosts}`] : []), "-o", "StrictHostKeyChecking=accept-new"];
    const args = [...(keyPath ? ["-i", keyPath] : []), ...hostKeyArgs, "-p", String(c.ssh.port), "-o", "BatchMode=yes", "-o", "ConnectTimeout=5",
        "-o", "LogLevel=ERROR", `${c.ssh.user}@${n.address}`, rootShell({ sudo: c.ssh.user !== "root" })];
    return new Promise((resolve, reject) => {
        const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => { out += d.toString(); });
        child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
        let timedOut = false;
        const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, 30_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            if (timedOut) return reject(new Error(`no answer over SSH within 30 s${err.trim() ? ` (${err.trim()})` : ""}`));
            if (code !== 0) return reject(new Error(err.trim() || `ssh exited ${code}`));
            resolve(Object.fromEntries(out.split("\n").filter((l) => l.includes("=")).map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)])));
        });
        child.stdin.end(renderStdin(hostScript("status"), env));
    });
}

async function main() {
    const argv = process.argv.slice(2);
    const k = argv.indexOf("--known-hosts");
    const knownHosts = k >= 0 ? path.resolve(argv[k + 1]) : undefined;
    const stack = argv.filter((a, i) => !a.startsWith("-") && (k < 0 || i !== k + 1))[0] ?? "dev";
    // The key itself is never read here: a path is handed to ssh, else ssh uses the agent.
    const { sshPrivateKey: _secret, edgeCertificateKey: _edgeKey, ...raw } = readStackFile(stackPath(stack), () => undefined);
    // Status reads no secret, so it leaves out the certificate whose key it would check.
    const edge = raw.edge as Record<string, unknown> | undefined;
    if (edge?.certificate !== undefined) raw.edge = { ...edge, certificate: undefined };
    const ssh = raw.ssh as { privateKeyPath?: string } | undefined;
    const c = validateConfig(ssh?.privateKeyPath ? raw : { ...raw, sshPrivateKey: "(agent)" });
    const key = c.ssh.privateKeyPath;
    const keyPath = key === undefined ? undefined : key.startsWith("~/") ? path.join(os.homedir(), key.slice(2)) : path.resolve(ROOT, key);
    const facts = Object.fromEntries(await Promise.all(c.nodes.map(async (n) => [n.name, await probe(c, n, keyPath, knownHosts).catch((e: Error) => e)] as const)));
    const { lines, problems } = assess(c, facts);
    console.log(`paperless-ha status: ${c.topology}, ${c.nodes.length} nodes (${path.basename(stackPath(stack))}) at ${new Date().toISOString().slice(0, 19)}Z\n`);
    console.log(lines.join("\n"));
    console.log(problems.length ? `\nNEEDS ATTENTION:\n${problems.map((p) => `  - ${p}`).join("\n")}` : "\nhealthy");
    process.exitCode = problems.length ? 1 : 0;
}

if (require.main === module) {
    main().catch((e) => {
        console.error((e as Error).message);
        process.exit(2);
    });
}
