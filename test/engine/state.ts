import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { isSecretWrapper, secretWrapper } from "../../tools/support/secrets";

/** One resource as the engine last left it. */
export interface ResourceState {
    type: string;
    name: string;
    id: string;
    /** Inputs as the program gave them: secret values stay marked, and are encrypted on disk. */
    inputs: Record<string, unknown>;
    /** Outputs beyond the inputs (ids, generated values); secret ones marked. */
    outputs: Record<string, unknown>;
    /** Provider resource name for provider-bound resources. */
    provider?: string;
    /** Creation sequence: among resources nothing depends on any more, deletes run newest first. */
    seq: number;
    /** Names of the resources this one depends on (dependsOn and data). */
    deps?: string[];
}

interface StateFile {
    seq: number;
    resources: ResourceState[];
}

/**
 * The engine's state file. Like Pulumi's own state, every value marked secret is encrypted
 * (AES-256-GCM with a key kept beside the state, mode 0600), so the file exposes none of them.
 */
export class StateStore {
    private readonly key: Buffer;
    private entries = new Map<string, ResourceState>();
    private seq = 0;
    private writing: Promise<void> = Promise.resolve();

    constructor(private readonly file: string) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        const keyFile = `${file}.key`;
        if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, crypto.randomBytes(32).toString("hex"), { mode: 0o600 });
        this.key = Buffer.from(fs.readFileSync(keyFile, "utf8").trim(), "hex");
        if (fs.existsSync(file)) {
            const saved = JSON.parse(fs.readFileSync(file, "utf8"), (_k, v) =>
                v && typeof v === "object" && typeof v.secret === "string" ? secretWrapper(JSON.parse(this.decrypt(v.secret))) : v) as StateFile;
            this.seq = saved.seq;
            for (const r of saved.resources) this.entries.set(keyOf(r.type, r.name), r);
        }
    }

    get(type: string, name: string): ResourceState | undefined {
        return this.entries.get(keyOf(type, name));
    }

    all(): ResourceState[] {
        return [...this.entries.values()].sort((a, b) => a.seq - b.seq);
    }

    nextSeq(): number {
        return ++this.seq;
    }

    async put(r: ResourceState): Promise<void> {
        this.entries.set(keyOf(r.type, r.name), r);
        await this.flush();
    }

    async remove(type: string, name: string): Promise<void> {
        this.entries.delete(keyOf(type, name));
        await this.flush();
    }

    /** Writes are serialized and atomic, so an interrupted run leaves a readable state. */
    private flush(): Promise<void> {
        this.writing = this.writing.then(() => {
            const body = JSON.stringify({ seq: this.seq, resources: this.all() }, (_k, v) =>
                isSecretWrapper(v) ? { secret: this.encrypt(JSON.stringify(v.value)) } : v, 2);
            fs.writeFileSync(`${this.file}.tmp`, body, { mode: 0o600 });
            fs.renameSync(`${this.file}.tmp`, this.file);
        });
        return this.writing;
    }

    private encrypt(value: string): string {
        const iv = crypto.randomBytes(12);
        const cipher = crypto.createCipheriv("aes-256-gcm", this.key, iv);
        const data = Buffer.concat([cipher.update(value, "utf8"), cipher.final()]);
        return Buffer.concat([iv, cipher.getAuthTag(), data]).toString("base64");
    }

    private decrypt(text: string): string {
        const raw = Buffer.from(text, "base64");
        const decipher = crypto.createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
    }
}

export const keyOf = (type: string, name: string) => `${type}::${name}`;

/**
 * The order to delete resources in: nothing goes while a remaining resource depends on it (or uses
 * it as its provider); among those free to go, the newest first. Pulumi orders by dependencies too.
 */
export function deletionOrder(resources: ResourceState[]): ResourceState[] {
    const left = [...resources].sort((a, b) => b.seq - a.seq);
    const out: ResourceState[] = [];
    while (left.length) {
        const needed = new Set(left.flatMap((r) => [...(r.deps ?? []), ...(r.provider ? [r.provider] : [])]));
        const i = left.findIndex((r) => !needed.has(r.name));
        // A cycle cannot come from a program; fall back to the newest rather than stall.
        out.push(...left.splice(i < 0 ? 0 : i, 1));
    }
    return out;
}
