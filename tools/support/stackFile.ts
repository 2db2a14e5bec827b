import * as fs from "node:fs";
import { parse } from "yaml";

/**
 * The `paperless-ha:` keys of a Pulumi.<stack>.yaml, without their namespace. An encrypted value
 * (`secure:`) cannot be read without the stack's passphrase: it is refused, or swapped for
 * `placeholder` where only the plan matters.
 */
export function readStackFile(file: string, placeholder?: (key: string) => unknown): Record<string, unknown> {
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc?.config ?? {})) {
        if (!k.startsWith("paperless-ha:")) continue;
        const key = k.slice("paperless-ha:".length);
        if (v && typeof v === "object" && "secure" in v) {
            if (!placeholder) throw new Error(`${file}: ${k} is encrypted; the engine reads plain config only`);
            out[key] = placeholder(key);
        } else {
            out[key] = v;
        }
    }
    return out;
}
