import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { shellQuote } from "../../components/host/remoteScript";

export interface DockerEndpoint {
    host: string;
    caMaterial?: string;
    certMaterial?: string;
    keyMaterial?: string;
}

/** The docker CLI against one host's TLS API, as the Docker provider reaches it. */
export class DockerClient {
    private readonly args: string[];

    constructor(endpoint: DockerEndpoint, certDir: string) {
        this.args = ["--host", endpoint.host];
        if (endpoint.caMaterial && endpoint.certMaterial && endpoint.keyMaterial) {
            fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
            const write = (n: string, v: string) => {
                const p = path.join(certDir, n);
                fs.writeFileSync(p, v, { mode: 0o600 });
                return p;
            };
            this.args.push("--tlsverify", "--tlscacert", write("ca.pem", endpoint.caMaterial),
                "--tlscert", write("cert.pem", endpoint.certMaterial), "--tlskey", write("key.pem", endpoint.keyMaterial));
        }
    }

    run(args: string[], input?: Buffer | string): Promise<string> {
        return new Promise((resolve, reject) => {
            const child = execFile("docker", [...this.args, ...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
                if (err) reject(new Error(`docker ${args[0]} failed: ${stderr || err.message}`));
                else resolve(stdout.trim());
            });
            if (input !== undefined) child.stdin?.end(input);
        });
    }

    async tryRun(args: string[]): Promise<string | undefined> {
        return this.run(args).catch(() => undefined);
    }
}

interface Upload {
    file: string;
    content?: string;
    executable?: boolean;
}

interface Volume {
    hostPath?: string;
    volumeName?: string;
    containerPath?: string;
    readOnly?: boolean;
}

interface Healthcheck {
    tests?: string[];
    interval?: string;
    timeout?: string;
    retries?: number;
    startPeriod?: string;
}

export interface ContainerInputs {
    name: string;
    image: string;
    networkMode?: string;
    restart?: string;
    labels?: { label: string; value: string }[];
    envs?: string[];
    command?: string[];
    entrypoints?: string[];
    volumes?: Volume[];
    uploads?: Upload[];
    healthcheck?: Healthcheck;
    wait?: boolean;
    waitTimeout?: number;
    destroyGraceSeconds?: number;
}

function healthFlags(h?: Healthcheck): string[] {
    if (!h?.tests?.length || h.tests[0] === "NONE") return [];
    const [kind, ...rest] = h.tests;
    const cmd = kind === "CMD-SHELL" ? rest.join(" ") : rest.map(shellQuote).join(" ");
    return [
        "--health-cmd", cmd,
        ...(h.interval ? ["--health-interval", h.interval] : []),
        ...(h.timeout ? ["--health-timeout", h.timeout] : []),
        ...(h.retries !== undefined ? ["--health-retries", String(h.retries)] : []),
        ...(h.startPeriod ? ["--health-start-period", h.startPeriod] : []),
    ];
}

/** Create, upload into, start and (with `wait`) wait for a healthy container; returns its id. */
export async function createContainer(docker: DockerClient, c: ContainerInputs, scratch: string): Promise<string> {
    fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
    const work = fs.mkdtempSync(path.join(scratch, "container-"));
    try {
        // Environment travels in a file, never on this machine's command line.
        const envFile = path.join(work, "env");
        fs.writeFileSync(envFile, (c.envs ?? []).join("\n") + "\n", { mode: 0o600 });
        const volumeFlags = (c.volumes ?? []).flatMap((v) =>
            ["-v", `${v.hostPath ?? v.volumeName}:${v.containerPath}${v.readOnly ? ":ro" : ""}`]);
        const entry = c.entrypoints?.length ? ["--entrypoint", c.entrypoints[0]] : [];
        const args = [
            "create", "--name", c.name,
            ...(c.networkMode ? ["--network", c.networkMode] : []),
            ...(c.restart ? ["--restart", c.restart] : []),
            ...(c.labels ?? []).flatMap((l) => ["--label", `${l.label}=${l.value}`]),
            "--env-file", envFile,
            ...volumeFlags,
            ...healthFlags(c.healthcheck),
            ...entry,
            c.image,
            ...(c.entrypoints?.slice(1) ?? []),
            ...(c.command ?? []),
        ];
        const id = await docker.run(args);
        try {
            await startContainer(docker, c, work);
        } catch (e) {
            // Like the provider, leave no half-made container behind a failed create.
            await docker.tryRun(["rm", "-f", "-v", c.name]);
            throw e;
        }
        return id;
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
}

/** Upload files (one tar at /, so missing parent directories are created), start, wait for health. */
async function startContainer(docker: DockerClient, c: ContainerInputs, work: string): Promise<void> {
    if (c.uploads?.length) {
        const tree = path.join(work, "uploads");
        for (const u of c.uploads) {
            const target = path.join(tree, u.file);
            fs.mkdirSync(path.dirname(target), { recursive: true });
            fs.writeFileSync(target, u.content ?? "", { mode: u.executable ? 0o755 : 0o644 });
        }
        const tar = await new Promise<Buffer>((resolve, reject) =>
            execFile("tar", ["-C", tree, "--owner=0", "--group=0", "-c", "."], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 },
                (err, out) => (err ? reject(err) : resolve(out))));
        await docker.run(["cp", "-", `${c.name}:/`], tar);
    }
    await docker.run(["start", c.name]);
    if (c.wait) await waitHealthy(docker, c.name, c.waitTimeout ?? 60);
}

async function waitHealthy(docker: DockerClient, name: string, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const state = await docker.run(["inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", name]);
        const [status, health] = state.split(" ");
        if (status === "running" && (health === "healthy" || health === "none")) return;
        if (status === "exited" || status === "dead" || Date.now() > deadline) {
            const logs = await docker.tryRun(["logs", "--tail", "30", name]);
            throw new Error(`container ${name} did not become healthy (state ${status}, health ${health}):\n${logs ?? ""}`);
        }
        await new Promise((r) => setTimeout(r, 2000));
    }
}

/** As the provider does: with a grace period, stop (SIGTERM, then SIGKILL after it) before removing. */
export async function removeContainer(docker: DockerClient, name: string, graceSeconds?: number): Promise<void> {
    if (graceSeconds) await docker.tryRun(["stop", "-t", String(graceSeconds), name]);
    await docker.run(["rm", "-f", "-v", name]).catch((e: Error) => {
        if (!/No such container/i.test(e.message)) throw e;
    });
}

/** The provider only pulls what is missing; here nothing can be pulled, so a missing image is an error. */
export async function ensureImage(docker: DockerClient, name: string): Promise<{ imageId: string; repoDigest: string }> {
    let id = await docker.tryRun(["image", "inspect", "-f", "{{.Id}}", name]);
    if (!id) {
        await docker.run(["pull", name]).catch((e: Error) => {
            throw new Error(`image ${name} is not on the host and cannot be pulled: ${e.message}`);
        });
        id = await docker.run(["image", "inspect", "-f", "{{.Id}}", name]);
    }
    const digest = await docker.tryRun(["image", "inspect", "-f", "{{index .RepoDigests 0}}", name]);
    return { imageId: id, repoDigest: digest ?? "" };
}

