/**
 * `npm run diagram`: a Mermaid picture of each example stack, drawn from the plan the program makes
 * for it (tools/plan.ts): per node the services its resources and stack files place there, and the
 * replication, storage, cache and client links between them. Writes docs/cluster-<stack>.mmd and
 * the README's copy; `--check` fails instead when either is out of date.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { plain } from "./support/secrets";
import { evaluate, Plan, planConfig, ROOT } from "./plan";

type Kind = "db" | "storage" | "app" | "edge" | "redis" | "other";
interface Service { label: string; kind: Kind }
interface NodeBox { name: string; address: string; roles: string[]; services: Service[] }
export interface Picture { title: string; nodes: NodeBox[]; dbLink: string; storage: string; clientPort: string }

/** Labels of the services a node runs, by the last part of a resource name or a stack service's key. */
const LABELS: Record<string, Service> = {
    etcd: { label: "etcd", kind: "other" },
    patroni: { label: "PostgreSQL + Patroni", kind: "db" },
    postgres: { label: "PostgreSQL + pgactive", kind: "db" },
    haproxy: { label: "HAProxy", kind: "edge" },
    router: { label: "HAProxy → primary", kind: "other" },
    pgbouncer: { label: "PgBouncer", kind: "other" },
    exporter: { label: "postgres_exporter", kind: "other" },
    paperless: { label: "Paperless-ngx", kind: "app" },
    redis: { label: "Redis + Sentinel", kind: "redis" },
    sentinel: { label: "Sentinel", kind: "other" },
    brick: { label: "Gluster brick", kind: "storage" },
    master: { label: "SeaweedFS master", kind: "other" },
    volume: { label: "SeaweedFS volume", kind: "storage" },
    filer: { label: "SeaweedFS filer", kind: "other" },
    s3: { label: "S3 gateway", kind: "other" },
    timer: { label: "backup timer", kind: "other" },
    metrics: { label: "exporters", kind: "other" },
    prometheus: { label: "Prometheus + alert rules", kind: "other" },
};

/** The stack files the plan deploys: each `*-deploy` command carries one as STACK_YAML. */
function stackFiles(plan: Plan): Record<string, { services: Record<string, { deploy: { mode: string; placement?: { constraints?: string[] } } }> }> {
    const out: ReturnType<typeof stackFiles> = {};
    for (const r of plan.resources.filter((x) => x.name.endsWith("-deploy"))) {
        const stdin = String(plain(r.inputs.stdin) ?? "");
        const m = /^export STACK_YAML='((?:[^']|'\\'')*)'$/m.exec(stdin);
        if (m) out[r.name] = parse(m[1].replace(/'\\''/g, "'"));
    }
    return out;
}

/** What the plan places on each node. Pure. */
export function pictureOf(title: string, plan: Plan): Picture {
    const nodes = (plan.outputs.nodes as { name: string; address: string; roles: string[] }[])
        .map((n) => ({ ...n, services: [] as Service[] }));
    const add = (node: string, key: string) => {
        const box = nodes.find((n) => n.name === node);
        const s = LABELS[key];
        if (box && s && !box.services.some((x) => x.label === s.label)) box.services.push(s);
    };
    for (const r of plan.resources.filter((x) => x.custom)) {
        for (const n of nodes) {
            const m = new RegExp(`(?:^|-)${n.name}-(\\w+)$`).exec(r.name);
            if (m) add(n.name, m[1]);
            // Each node's Redis step: Redis with its Sentinel, on the arbiter Sentinel alone.
            if (r.name === `redis-${n.name}`) add(n.name, n.roles.includes("arbiter") ? "sentinel" : "redis");
        }
    }
    // The singleton's metrics step also runs the cluster's Prometheus, when there is one.
    const metrics = plan.outputs.metrics as { prometheus?: string } | undefined;
    const singleton = nodes.find((n) => n.roles.includes("singleton"));
    if (singleton && metrics?.prometheus?.startsWith("http")) add(singleton.name, "prometheus");
    for (const stack of Object.values(stackFiles(plan))) {
        for (const [key, svc] of Object.entries(stack.services)) {
            const constraints = svc.deploy.placement?.constraints ?? [];
            const on = (n: NodeBox) => constraints.every((c) => {
                const [, op, value] = / (==|!=) (\S+)$/.exec(c) ?? [];
                return op === "==" ? value === n.name : value !== n.name;
            });
            for (const n of nodes.filter(on)) add(n.name, key.replace(new RegExp(`-${n.name}$`), ""));
        }
    }
    const patroni = nodes.some((n) => n.services.some((s) => s.label.includes("Patroni")));
    const bricks = nodes.filter((n) => n.services.some((s) => s.label === "Gluster brick")).length;
    return {
        title,
        nodes,
        dbLink: patroni ? "Patroni: leader streams, one sync" : "pgactive: both ways",
        storage: bricks ? `GlusterFS volume, replica ${bricks}` : "SeaweedFS, replication 001",
        clientPort: nodes.some((n) => n.services.some((s) => s.label === "HAProxy")) ? "HAProxy on every node" : "Paperless on every node",
    };
}

const id = (node: string, s: Service) => `${node}_${s.label.replace(/[^A-Za-z0-9]+/g, "_")}`.replace(/_+$/, "");

/** The picture as a Mermaid flowchart. Pure. */
export function renderMermaid(p: Picture): string {
    const lines = ["flowchart TB", `    users(["clients → ${p.clientPort}"])`, `    store[("${p.storage}")]`];
    for (const n of p.nodes) {
        const roles = n.roles.filter((r) => ["singleton", "redis", "manager", "arbiter"].includes(r));
        lines.push(`    subgraph ${n.name}["${n.name} · ${n.address}${roles.length ? ` · ${roles.join(", ")}` : ""}"]`);
        for (const s of n.services) lines.push(`        ${id(n.name, s)}${s.kind === "db" || s.kind === "storage" ? `[("${s.label}")]` : `["${s.label}"]`}`);
        lines.push("    end");
    }
    const all = (kind: Kind) => p.nodes.flatMap((n) => n.services.filter((s) => s.kind === kind).map((s) => id(n.name, s)));
    const entry = all("edge").length ? all("edge") : all("app");
    for (const e of entry) lines.push(`    users --> ${e}`);
    const db = all("db");
    for (let i = 0; i < db.length; i++) {
        for (let j = i + 1; j < db.length; j++) lines.push(`    ${db[i]} <-. "${p.dbLink}" .-> ${db[j]}`);
    }
    for (const s of all("storage")) lines.push(`    ${s} --- store`);
    // Every instance reaches the master through its node's HAProxy; the `redis` node's starts as the master.
    const first = p.nodes.find((n) => n.roles.includes("redis"));
    const redis = all("redis");
    const master = redis.find((r) => first && r.startsWith(`${first.name}_`)) ?? redis[0];
    for (const r of redis.filter((x) => x !== master)) lines.push(`    ${master} -. "replicates" .-> ${r}`);
    for (const a of all("app")) {
        lines.push(`    ${a} -- media --> store`);
        if (master) lines.push(`    ${a} -. "queue (the master)" .-> ${master}`);
    }
    return `${lines.join("\n")}\n`;
}

const STACKS = ["prod", "swarm"];
const begin = (stack: string) => `<!-- diagram:${stack} (npm run diagram) -->`;
const end = (stack: string) => `<!-- /diagram:${stack} -->`;

async function main() {
    const check = process.argv.includes("--check");
    const readmePath = path.join(ROOT, "README.md");
    let readme = fs.readFileSync(readmePath, "utf8");
    const stale: string[] = [];
    for (const stack of STACKS) {
        const mermaid = renderMermaid(pictureOf(`Pulumi.${stack}.yaml`, await evaluate(planConfig(stack))));
        const file = path.join(ROOT, "docs", `cluster-${stack}.mmd`);
        const start = readme.indexOf(begin(stack));
        const stop = readme.indexOf(end(stack));
        if (start < 0 || stop < start) throw new Error(`README.md has no ${begin(stack)} … ${end(stack)} block`);
        const block = `${begin(stack)}\n\`\`\`mermaid\n${mermaid}\`\`\`\n`;
        const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
        if (current !== mermaid || readme.slice(start, stop) !== block) stale.push(stack);
        if (!check) {
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, mermaid);
            readme = readme.slice(0, start) + block + readme.slice(stop);
        }
    }
    if (check && stale.length) {
        console.error(`the cluster pictures of ${stale.join(", ")} are out of date: run npm run diagram`);
        process.exit(1);
    }
    if (!check) fs.writeFileSync(readmePath, readme);
    console.log(check ? "cluster pictures are current" : `wrote ${STACKS.map((s) => `docs/cluster-${s}.mmd`).join(", ")} and README.md`);
}

if (require.main === module) {
    main().catch((e) => {
        console.error(e);
        process.exit(1);
    });
}
