/** Helpers for the e2e suite: the sandbox hosts, the engine CLI, and HTTPS through the load balancer. */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as tls from "node:tls";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { plain } from "../../tools/support/secrets";
import { StateStore } from "../engine/state";

export const ROOT = path.resolve(__dirname, "..", "..");
export const SANDBOX = path.join(ROOT, ".sandbox");
const KEY = path.join(SANDBOX, "id_ed25519");

export interface SandboxHost {
    name: string;
    address: string;
    container: string;
    /** Its SSH host key, `type base64`. */
    hostKey: string;
}

/** When a run's whole process group is killed, as a crash of the operator's machine would: once its output shows `line`, or after `ms`. */
interface Crash { line: RegExp; ms: number }

/** Run a long command without blocking the test worker (it must keep answering its runner), killed as `crash` says. */
function runAsync(cmd: string, args: string[], timeoutMs: number, input?: string, crash?: Crash): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], detached: crash !== undefined });
        let killed = false;
        const kill = () => {
            if (!killed) process.kill(-child.pid!, "SIGKILL");
            killed = true;
        };
        const deadline = crash === undefined ? undefined : setTimeout(kill, crash.ms);
        child.stdin.end(input ?? "");
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => {
            stdout += d.toString();
            if (crash?.line.test(stdout)) kill();
        });
        child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
        const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            clearTimeout(deadline);
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

export async function sandbox(...args: string[]): Promise<void> {
    const r = await runAsync("bash", [path.join(ROOT, "scripts", "sandbox.sh"), ...args], 1_800_000);
    process.stderr.write(r.stderr);
    if (r.code !== 0) throw new Error(`sandbox ${args.join(" ")} failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
}

/**
 * Fresh hosts and a fresh engine state (nothing the engine remembers may outlive the hosts it
 * describes); returns them and how long that took in seconds.
 */
export async function freshHosts(...upArgs: string[]): Promise<{ hosts: SandboxHost[]; seconds: number }> {
    const t = Date.now();
    await sandbox("down");
    fs.rmSync(path.join(SANDBOX, "e2e"), { recursive: true, force: true });
    await sandbox("up", ...upArgs);
    return { hosts: sandboxHosts(), seconds: (Date.now() - t) / 1000 };
}

export function sandboxHosts(): SandboxHost[] {
    return JSON.parse(fs.readFileSync(path.join(SANDBOX, "hosts.json"), "utf8"));
}

/** Run a shell command on a host as root; returns stdout, throws on a non-zero exit. */
export function onHost(address: string, command: string, input?: string): string {
    return execFileSync("ssh", sshArgs(address, command), { encoding: "utf8", timeout: 120_000, input }).trim();
}

const sshArgs = (address: string, command: string) => ["-i", KEY, "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
    "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=5", `root@${address}`, command];

/**
 * The names of a host's containers (`all`: stopped ones too). Throws when its Docker engine does not
 * answer: an engine that is down is no proof that a container is gone.
 */
export function containerNames(address: string, all = true): string[] {
    return onHost(address, `docker ps ${all ? "-a " : ""}--format '{{.Names}}'`).split("\n").filter(Boolean);
}

/** The processes of a container as the host sees them (`docker top`); throws when it does not run. */
export const containerProcesses = (address: string, container: string): string[] =>
    onHost(address, `docker top ${container} -eo pid,args`).split("\n").slice(1);

/**
 * Whether each of `units` is active on a host, as systemd says (`active`, `inactive`, `failed`…):
 * one answer per unit, or a throw, so a host whose systemd did not answer never counts as "none active".
 */
export function unitStates(address: string, units: string[]): Record<string, string> {
    const states = onHost(address, `systemctl is-active ${units.join(" ")}; true`).split("\n");
    if (states.length !== units.length) throw new Error(`systemctl is-active ${units.join(" ")} on ${address} answered ${JSON.stringify(states)}`);
    return Object.fromEntries(units.map((u, i) => [u, states[i]]));
}

/** None of `units` is active on the host (every one answered). */
export const noneActive = (address: string, units: string[]) => Object.values(unitStates(address, units)).every((s) => s !== "active");

/** onHost without blocking the test worker, for commands that run while the test does other things. */
export const onHostAsync = (address: string, command: string, input: string, timeoutMs: number) =>
    runAsync("ssh", sshArgs(address, command), timeoutMs, input);

/**
 * Writes through a host's database route while a host dies: one insert after another into
 * `e2e_rpo`, each on a new connection (`psql`: a command that takes `-qtAXc SQL`, reading the
 * password from PGPASSWORD, which the first line of stdin sets), for at most `seconds`, and 5 more
 * acknowledged once /tmp/e2e-killed exists on the host. Touch that file right after the kill.
 */
export function databaseWriter(address: string, psql: string, password: string, seconds: number) {
    const script = [
        "read -r PGPASSWORD; export PGPASSWORD",
        "rm -f /tmp/e2e-killed; i=0; after=0; end=$((SECONDS + " + seconds + "))",
        "while [ $SECONDS -lt $end ]; do",
        "  i=$((i + 1)); started=$(date +%s.%N)",
        `  if ${psql} -qtAXc "INSERT INTO e2e_rpo (n) VALUES ($i)" >/dev/null 2>&1; then`,
        "    echo \"ok $i $started $(date +%s.%N)\"",
        "    if [ -f /tmp/e2e-killed ]; then after=$((after + 1)); [ $after -ge 5 ] && break; fi",
        "  else echo \"fail $i $started $(date +%s.%N)\"; fi",
        "  sleep 0.2",
        "done",
    ].join("\n");
    return onHostAsync(address, script, `${password}\n`, (seconds + 30) * 1000).then((out) => out.stdout);
}

/**
 * What the writer saw around a kill (epoch seconds: `killedAt` before it, `killDone` after): the
 * writes acknowledged, the first one begun after the kill and how long after the kill it was
 * acknowledged, and the longest gap between two acknowledged writes.
 */
export function writeGaps(stdout: string, killedAt: number, killDone: number) {
    const lines = stdout.split("\n").filter(Boolean).map((l) => l.split(" ")).map(([r, n, start, at]) => ({ ok: r === "ok", n: Number(n), start: Number(start), at: Number(at) }));
    const acked = lines.filter((l) => l.ok);
    // One in flight at the kill may still commit: the first write begun once the host was dead.
    const firstAfter = acked.find((l) => l.start > killDone);
    const gaps = acked.slice(1).map((l, i) => l.at - acked[i].at);
    return {
        acked,
        refused: lines.length - acked.length,
        beforeKill: acked.filter((l) => l.at < killedAt).length,
        resumedAfter: firstAfter ? firstAfter.at - killedAt : undefined,
        longestGap: gaps.length ? Math.max(...gaps) : undefined,
    };
}

/**
 * When a survivor's Patroni promoted itself after `since` (epoch seconds), read from its log
 * (`log`: a command printing Patroni's log lines, which carry UTC times), or undefined when none
 * did. For the note: it splits a write gap into Patroni's part and the route's.
 */
export function promotedAt(addresses: string[], log: (address: string) => string, since: number): number | undefined {
    const times = addresses.flatMap((a) => {
        const out = onHost(a, `${log(a)} 2>&1 | grep 'promoted self to leader' || true`);
        return [...out.matchAll(/(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}) INFO: promoted self to leader/g)]
            .map((m) => Date.parse(`${m[1].replace(" ", "T")}.${m[2]}Z`) / 1000);
    });
    return times.filter((t) => t > since).sort((x, y) => x - y)[0];
}

/** redis-cli on `address`, at `port` on loopback (the node's route to the master by default), the password on stdin. */
export function redisCli(address: string, password: string, args: string, port = 6380): string {
    return onHost(address, `read -r REDISCLI_AUTH; export REDISCLI_AUTH; redis-cli --no-auth-warning --raw -h 127.0.0.1 -p ${port} ${args}`, `${password}\n`);
}

/** The cluster address of the Redis that `address`'s route reaches (its first bind address); "none"
 * while it reaches none (between a master's loss and its successor's promotion). */
export function redisMasterVia(address: string, password: string): string {
    try {
        return redisCli(address, password, "CONFIG GET bind").split("\n")[1]?.split(" ")[0] ?? "";
    } catch {
        return "none";
    }
}

/** When (seconds since the epoch) a Sentinel on one of `addresses` saw the Redis master move after `since`. */
export function redisSwitchedAt(addresses: string[], since: number): number | undefined {
    const times = addresses.flatMap((a) => {
        const out = onHost(a, `journalctl -u redis-sentinel@paperless-ha -o short-unix --since @${Math.floor(since)} 2>&1 | grep -e '+switch-master' || true`);
        return [...out.matchAll(/^(\d+\.\d+) .*\+switch-master/gm)].map((m) => Number(m[1]));
    });
    return times.filter((t) => t > since).sort((x, y) => x - y)[0];
}

/** The cluster's one address on the sandbox's hosts, as Pulumi.<base>.yaml gives it. */
export const virtualAddressOf = (base: string): string =>
    (parse(fs.readFileSync(path.join(ROOT, `Pulumi.${base}.yaml`), "utf8")) as { config: Record<string, { virtualAddress: string }> })
        .config["paperless-ha:edge"].virtualAddress;
export const VIRTUAL_ADDRESS = virtualAddressOf("dev");

/** The names of the hosts among `on` that hold `address` on an interface; each must answer. */
export function holders(on: SandboxHost[], address = VIRTUAL_ADDRESS): string[] {
    return on.filter((h) => onHost(h.address, `ip -o addr show to ${address}`) !== "").map((h) => h.name);
}

/**
 * Seconds from `since` (ms) until HAProxy itself answers HTTPS at `address`, its certificate
 * checked (at most `seconds`); undefined when it never did. It is asked with a Host the cluster is
 * not reached by, which it refuses (400) without asking an app instance: what answers is the edge.
 */
export async function answersAt(address: string, ca: string, since: number, seconds: number): Promise<number | undefined> {
    while (Date.now() - since < seconds * 1000) {
        const ok = await request(`https://${address}/api/`, ca, { timeoutMs: 1000, headers: { host: "edge-probe.invalid" } })
            .then((r) => r.status === 400, () => false);
        if (ok) return (Date.now() - since) / 1000;
        await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
}

/** The checksum of a document's original on a node's brick, once self-heal wrote it (at most `tries` × 2 s). */
export async function healedOnBrick(address: string, doc: { id: number; sha256: string }, tries: number): Promise<string> {
    const file = `/srv/gluster/paperless/brick/media/documents/originals/${String(doc.id).padStart(7, "0")}.pdf`;
    let onBrick = "";
    for (let i = 0; i < tries && onBrick !== doc.sha256; i++) {
        onBrick = onHost(address, `sha256sum ${file} 2>/dev/null | cut -d' ' -f1`);
        if (onBrick !== doc.sha256) await new Promise((r) => setTimeout(r, 2000));
    }
    return onBrick;
}

export interface EngineRun {
    code: number;
    summary: {
        created: string[]; updated: string[]; replaced: string[]; deleted: string[]; unchanged: number;
        failed: { name: string; error: string }[]; seconds: number; outputs: Record<string, unknown>;
    };
    output: string;
    /**
     * The host key checks that ran (every node's, whenever the config or the program changed). They
     * change nothing on a host, so the summary's lists leave them out: those say what changed.
     */
    checked: string[];
}

const isKeyCheck = (name: string) => name.endsWith("-host-key-check");

/**
 * A stack file derived from Pulumi.<base>.yaml with some keys replaced, and every node's SSH host
 * key pinned from hosts.json (the base trusts on first use; these files check like a real stack's).
 */
export function stackFile(name: string, change: (config: Record<string, unknown>) => void, base = "dev"): string {
    const doc = parse(fs.readFileSync(path.join(ROOT, `Pulumi.${base}.yaml`), "utf8")) as { config: Record<string, unknown> };
    change(doc.config);
    const keys = new Map(sandboxHosts().map((h) => [h.address, h.hostKey]));
    const nodes = doc.config["paperless-ha:nodes"] as { address: string; hostKey?: string }[];
    for (const n of nodes) n.hostKey ??= keys.get(n.address);
    if (nodes.every((n) => n.hostKey)) (doc.config["paperless-ha:ssh"] as Record<string, unknown>).trustOnFirstUse = false;
    const file = path.join(SANDBOX, "e2e", `${name}.yaml`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, stringify(doc));
    return file;
}

const engineArgs = (verb: string, stack: string, file?: string) =>
    [path.join(ROOT, "test", "engine", "cli.ts"), verb, "--state", statePath(stack), ...(file ? ["--stack-file", file] : ["--stack", "dev"])];
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

/** An `up` killed with everything it started (SSH sessions included) as `crash` says; returns what it printed and when it was killed. */
export async function crashedUp(stack: string, file: string, crash: Crash): Promise<{ output: string; seconds: number }> {
    const started = Date.now();
    const r = await runAsync(TSX, engineArgs("up", stack, file), crash.ms + 60_000, "", crash);
    return { output: `${r.stdout}\n${r.stderr}`, seconds: (Date.now() - started) / 1000 };
}

/** The engine CLI in its own process, as `pulumi up` would be run. */
export async function engine(verb: "up" | "destroy", stack: string, file?: string): Promise<EngineRun> {
    const r = await runAsync(TSX, engineArgs(verb, stack, file), 1_500_000);
    const output = `${r.stdout}\n${r.stderr}`;
    const line = r.stdout.split("\n").find((l) => l.startsWith("engine-summary "));
    if (!line) throw new Error(`engine ${verb} printed no summary (exit ${r.code}):\n${output.slice(-4000)}`);
    const summary = JSON.parse(line.slice("engine-summary ".length)) as EngineRun["summary"];
    const checked = [...summary.created, ...summary.updated, ...summary.replaced].filter(isKeyCheck).sort();
    for (const list of ["created", "updated", "replaced", "deleted"] as const) summary[list] = summary[list].filter((n) => !isKeyCheck(n));
    return { code: r.code, summary, output, checked };
}

/** Keep a suite's figures for `npm run bench`, which reports the last ones with their date. */
export function saveFigures(suite: string, figures: Record<string, number>): void {
    console.log(`${suite} e2e figures: ${JSON.stringify(figures)}`);
    const file = path.join(SANDBOX, "figures", `${suite}.json`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify({ at: new Date().toISOString(), figures }, null, 2));
}

/** When a step of an engine run began and ended, in seconds from the run's start (its `= name start +seconds` line). */
export function stepSpan(run: { output: string }, name: string): { start: number; end: number } {
    const m = new RegExp(`^= ${name} ([0-9.]+)s \\+([0-9.]+)s$`, "m").exec(run.output);
    if (!m) throw new Error(`${name} did not run:\n${run.output.slice(-3000)}`);
    const [start, seconds] = [Math.round(Number(m[1]) * 1000), Math.round(Number(m[2]) * 1000)];
    return { start: start / 1000, end: (start + seconds) / 1000 };
}

export const statePath = (stack: string) => path.join(SANDBOX, "e2e", `${stack}.json`);

/**
 * A stack's state as a refused run must leave it: every resource but the read-only checks that run
 * again (every host's key; `also`), secrets compared as present only (rewriting the state encrypts
 * each anew).
 */
export const stateBesidesChecks = (stack: string, also: string[] = []) =>
    JSON.stringify((JSON.parse(fs.readFileSync(statePath(stack), "utf8")) as { resources: { name: string }[] }).resources
        .filter((r) => !isKeyCheck(r.name) && !also.includes(r.name)), (k, v: unknown) => (k === "secret" ? "(secret)" : v));

/** A secret output of a resource in the engine's state (e.g. the generated admin password). */
export function stateSecret(stack: string, resource: string, output: string): string {
    const r = new StateStore(statePath(stack)).all().find((x) => x.name === resource);
    if (!r) throw new Error(`no ${resource} in the state of ${stack}`);
    return String((plain(r.outputs) as Record<string, unknown>)[output]);
}

export interface HttpReply {
    status: number;
    body: Buffer;
    headers?: Record<string, string | string[] | undefined>;
}

/** HTTPS to a node's load balancer, verifying its certificate against the cluster CA. */
export function request(url: string, ca: string, opts: { method?: string; auth?: string; body?: Buffer; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<HttpReply> {
    return new Promise((resolve, reject) => {
        const req = https.request(url, {
            method: opts.method ?? "GET",
            ca,
            // The certificate is checked against the address asked for, whatever Host is sent.
            checkServerIdentity: (_host, cert) => tls.checkServerIdentity(new URL(url).hostname, cert),
            timeout: opts.timeoutMs ?? 15_000,
            headers: {
                ...(opts.auth ? { Authorization: `Basic ${Buffer.from(opts.auth).toString("base64")}` } : {}),
                ...(opts.body ? { "Content-Length": String(opts.body.length) } : {}),
                ...opts.headers,
            },
        }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        });
        req.on("timeout", () => req.destroy(new Error(`timeout: ${url}`)));
        req.on("error", reject);
        if (opts.body) req.write(opts.body);
        req.end();
    });
}

/** Prometheus's HTTP API (reachable from the management networks): the `data` of one call. */
export async function promApi(base: string, call: string): Promise<unknown> {
    const r = await fetch(`${base}api/v1/${call}`, { signal: AbortSignal.timeout(10_000) });
    const body = await r.json() as { status: string; data: unknown; error?: string };
    if (body.status !== "success") throw new Error(`Prometheus ${call}: ${body.error}`);
    return body.data;
}

/** One instant query's single value, or "" when it has none (yet). */
export async function promScalar(base: string, query: string): Promise<string> {
    const data = await promApi(base, `query?query=${encodeURIComponent(query)}`) as { result: { value: [number, string] }[] };
    return data.result.length === 1 ? data.result[0].value[1] : "";
}

/** Poll instant queries until each reads its expected value, bounded; returns the last readings. */
export async function promExpect(base: string, expected: Record<string, string>, tries = 40, everyMs = 3000): Promise<Record<string, string>> {
    let seen: Record<string, string> = {};
    for (let i = 0; i < tries; i++) {
        seen = Object.fromEntries(await Promise.all(Object.keys(expected).map(async (q) => [q, await promScalar(base, q)])));
        if (Object.keys(expected).every((q) => seen[q] === expected[q])) break;
        await new Promise((r) => setTimeout(r, everyMs));
    }
    return seen;
}

/**
 * What `npm run status -- ARGS` prints. With `tries`, asked again 3 s apart (bounded) until it
 * exits 0: right after a restore a replica or a heal may still be catching up.
 */
export async function statusReport(args: string[], tries = 1): Promise<string> {
    let out = "";
    for (let i = 0; i < tries; i++) {
        const r = spawnSync(path.join(ROOT, "node_modules", ".bin", "tsx"), [path.join(ROOT, "tools", "status.ts"), ...args], { encoding: "utf8", timeout: 90_000 });
        out = `${r.stdout}${r.stderr}`;
        if (r.status === 0) break;
        if (i + 1 < tries) await new Promise((done) => setTimeout(done, 3000));
    }
    return out;
}
