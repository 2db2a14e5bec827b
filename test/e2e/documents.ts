/**
 * Real documents for a real Paperless-ngx: the upstream release's own samples (from the vendored
 * source release), each made unique (Paperless refuses a second upload of the same bytes), and a
 * small client for the REST API calls the suites make.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { HttpReply, onHostAsync, request, ROOT, SANDBOX } from "./hosts";

export interface Doc {
    name: string;
    type: string;
    data: Buffer;
    sha256: string;
}

const doc = (name: string, type: string, data: Buffer): Doc => ({ name, type, data, sha256: crypto.createHash("sha256").update(data).digest("hex") });

/** A word no document has yet: lower-case letters only, so every tokenizer keeps it whole. */
export function uniqueWord(prefix = "haword"): string {
    return prefix + [...crypto.randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join("");
}

/** A sample from the Paperless-ngx source release (src/documents/tests/samples), extracted once. */
export function sample(name: string): Buffer {
    const version = process.env.PAPERLESS_VERSION ?? "2.20.15";
    const tarball = process.env.PAPERLESS_SOURCE ?? path.join(ROOT, "..", "shared", "vendor", `paperless-ngx-${version}.tar.gz`);
    const dir = path.join(SANDBOX, "samples");
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) {
        fs.mkdirSync(dir, { recursive: true });
        execFileSync("tar", ["-xzf", tarball, "-C", dir, "--strip-components=5", "--wildcards", `*/src/documents/tests/samples/${name}`]);
    }
    return fs.readFileSync(file);
}

/** A PDF from its objects (each `N 0 obj` body, text or bytes), with a correct cross-reference table. */
function pdf(objects: (string | Buffer)[], nonce: string): Buffer {
    const parts: Buffer[] = [Buffer.from(`%PDF-1.4\n%${nonce}\n`)];
    const offsets: number[] = [];
    let at = parts[0].length;
    objects.forEach((o, i) => {
        const body = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), Buffer.isBuffer(o) ? o : Buffer.from(o), Buffer.from("\nendobj\n")]);
        offsets.push(at);
        parts.push(body);
        at += body.length;
    });
    const xref = [`xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`, ...offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`),
        `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${at}\n%%EOF\n`].join("");
    return Buffer.concat([...parts, Buffer.from(xref)]);
}

const stream = (dict: string, data: Buffer) => Buffer.concat([Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`), data, Buffer.from("\nendstream")]);

/** A one-page PDF whose text layer holds `words` (no OCR needed). */
export function textPdf(words: string): Doc {
    const content = Buffer.from(`BT /F1 18 Tf 72 720 Td (${words.replace(/[()\\]/g, "")}) Tj ET`);
    return doc(`${uniqueWord("text")}.pdf`, "application/pdf", pdf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        stream("", content),
    ], uniqueWord("n")));
}

/** Width, height and colour components from a JPEG's start-of-frame marker. */
function jpegSize(jpeg: Buffer): { width: number; height: number; components: number } {
    for (let i = 2; i + 9 < jpeg.length;) {
        if (jpeg[i] !== 0xff) throw new Error("not a JPEG marker");
        const marker = jpeg[i + 1];
        const length = jpeg.readUInt16BE(i + 2);
        if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
            return { height: jpeg.readUInt16BE(i + 5), width: jpeg.readUInt16BE(i + 7), components: jpeg[i + 9] };
        }
        i += 2 + length;
    }
    throw new Error("no start-of-frame marker in the JPEG");
}

/** A scanned page: an image-only PDF of a JPEG, no text layer at all, so only OCR can read it. */
export function scannedPdf(jpeg: Buffer): Doc {
    const { width, height, components } = jpegSize(jpeg);
    const w = 612;
    const h = Math.round((height / width) * w);
    const space = components === 1 ? "/DeviceGray" : "/DeviceRGB";
    return doc(`${uniqueWord("scan")}.pdf`, "application/pdf", pdf([
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>`,
        stream(`/Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace ${space} /BitsPerComponent 8 /Filter /DCTDecode`, jpeg),
        stream("", Buffer.from(`q ${w} 0 0 ${h} 0 0 cm /Im1 Do Q`)),
    ], uniqueWord("n")));
}

/** A PNG made unique by a private ancillary chunk before IEND (decoders skip chunks they do not know). */
export function uniquePng(png: Buffer): Doc {
    const iend = png.lastIndexOf(Buffer.from("IEND")) - 4;
    const data = Buffer.from(uniqueWord("n"));
    const type = Buffer.from("haNc");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([type, data])));
    return doc(`${uniqueWord("image")}.png`, "image/png", Buffer.concat([png.subarray(0, iend), len, type, data, crc, png.subarray(iend)]));
}

function crc32(buf: Buffer): number {
    let c = ~0;
    for (const b of buf) {
        c ^= b;
        for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
    }
    return ~c >>> 0;
}

/** One HTTP call to a Paperless endpoint (through a node's balancer or its app port). */
export type Call = (path: string, opts?: { method?: string; body?: Buffer; headers?: Record<string, string> }) => Promise<HttpReply>;

const json = (r: HttpReply, what: string) => {
    if (r.status < 200 || r.status > 299) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
    return JSON.parse(r.body.toString());
};

/** POST /api/documents/post_document/ as multipart form data; returns the consume task's id. */
export async function upload(call: Call, d: Doc): Promise<string> {
    const boundary = `----paperless-ha-${crypto.randomBytes(8).toString("hex")}`;
    const body = Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n${d.name}\r\n`),
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="document"; filename="${d.name}"\r\nContent-Type: ${d.type}\r\n\r\n`),
        d.data,
        Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const task = json(await call("/api/documents/post_document/", { method: "POST", body, headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` } }), `upload of ${d.name}`);
    if (typeof task !== "string") throw new Error(`upload of ${d.name}: expected a task id, got ${JSON.stringify(task)}`);
    return task;
}

/** The document a consume task made, once it succeeded (bounded; a failed task throws with its reason). */
export async function consumed(call: Call, task: string, timeoutMs = 180_000): Promise<number> {
    const until = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < until) {
        const r = await call(`/api/tasks/?task_id=${task}`).catch((e: Error) => ({ status: 0, body: Buffer.from(e.message) }));
        if (r.status === 200) {
            const [t] = JSON.parse(r.body.toString()) as { status: string; result: string | null; related_document: string | null }[];
            if (t?.status === "SUCCESS" && t.related_document) return Number(t.related_document);
            if (t?.status === "FAILURE") throw new Error(`consume task ${task} failed: ${t.result}`);
            last = t ? t.status : "not listed yet";
        } else last = `HTTP ${r.status}`;
        await new Promise((done) => setTimeout(done, 2000));
    }
    throw new Error(`consume task ${task} did not succeed within ${timeoutMs / 1000} s (last: ${last})`);
}

/** Upload and wait until Paperless has consumed it; the document's id and how long that took. */
export async function store(call: Call, d: Doc): Promise<{ id: number; sha256: string; seconds: number }> {
    const t = Date.now();
    const id = await consumed(call, await upload(call, d));
    return { id, sha256: d.sha256, seconds: (Date.now() - t) / 1000 };
}

/** Ids of the documents the full-text search finds for `query`. */
export async function search(call: Call, query: string): Promise<number[]> {
    const r = json(await call(`/api/documents/?query=${encodeURIComponent(query)}&fields=id`), `search for ${query}`);
    return (r.results as { id: number }[]).map((x) => x.id);
}

/**
 * Ids the full-text search finds for `query` through any of `nodes`: each node searches the index
 * its own workers wrote (whoosh is single-writer and node-local).
 */
export async function searchAll(nodes: Call[], query: string): Promise<number[]> {
    const found = new Set<number>();
    for (const n of nodes) for (const id of await search(n, query)) found.add(id);
    return [...found].sort((a, b) => a - b);
}

/** The document's text content as Paperless stored it (the text layer or OCR). */
export async function content(call: Call, id: number): Promise<string> {
    return String(json(await call(`/api/documents/${id}/?fields=content`), `document ${id}`).content);
}

/** The original file's bytes (not the archived PDF/A), or the HTTP status when it is not served. */
export async function original(call: Call, id: number): Promise<Buffer | number> {
    const r = await call(`/api/documents/${id}/download/?original=true`);
    return r.status === 200 ? r.body : r.status;
}

export const sha256 = (b: Buffer | number) => (typeof b === "number" ? `HTTP ${b}` : crypto.createHash("sha256").update(b).digest("hex"));

/** Calls through a node's HAProxy over HTTPS (the cluster CA trusted), as `auth` ("user:password"). */
export const viaBalancer = (address: string, ca: string, auth: string): Call =>
    (p, o = {}) => request(`https://${address}${p}`, ca, { ...o, auth });

/**
 * Paperless's API on `address`'s own instance (port 8000, open to cluster nodes only), called from
 * that host as `auth`, the password on curl's stdin: its search reads that node's own index, where
 * a call through HAProxy could reach any node's. GET only.
 */
export const onNode = (address: string, auth: string): Call => async (p) => {
    const r = await onHostAsync(address, `curl -sS -K - -w '\\n%{http_code}' 'http://${address}:8000${p}'`, `user = "${auth.replace(/[\\"]/g, "\\$&")}"\n`, 30_000);
    const at = r.stdout.lastIndexOf("\n");
    return { status: Number(r.stdout.slice(at + 1)) || 0, body: Buffer.from(r.stdout.slice(0, at)) };
};

/**
 * A person's sign-in through a node's HTTPS balancer, as a browser does it: the login page sets
 * the CSRF cookie, the form is posted with the page's Origin, and the session cookie it returns
 * opens the API. Returns the status of each step.
 */
export async function signIn(address: string, ca: string, user: string, password: string): Promise<{ form: number; login: number; location: string; api: number }> {
    const origin = `https://${address}`;
    const cookies = (r: HttpReply) => ([] as string[]).concat(r.headers?.["set-cookie"] ?? []).map((c) => c.split(";")[0]);
    const page = await request(`${origin}/accounts/login/`, ca);
    const jar = cookies(page);
    const token = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(page.body.toString())?.[1] ?? "";
    const form = new URLSearchParams({ csrfmiddlewaretoken: token, login: user, password }).toString();
    const login = await request(`${origin}/accounts/login/`, ca, {
        method: "POST", body: Buffer.from(form),
        headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: origin, Referer: `${origin}/accounts/login/`, Cookie: jar.join("; ") },
    });
    const session = [...jar.filter((c) => !c.startsWith("csrftoken=")), ...cookies(login)];
    const api = await request(`${origin}/api/documents/?page_size=1`, ca, { headers: { Cookie: session.join("; ") } });
    return { form: page.status, login: login.status, location: String(login.headers?.location ?? ""), api: api.status };
}
