/**
 * `npm run config-reference [-- --check]`: the configuration table in README.md, made from
 * components/config/schema.ts: each key's doc comment is its meaning, and its default is the one the
 * schema applies to a minimal stack (classic, and swarm where that differs). A comment may say the
 * default itself ("Default: position in the list + 1."), for defaults decided later than the
 * schema; where it names a plain value the schema also applies, the two must agree. `--check` fails
 * when the table in README.md is not the one this makes, or a key has no doc comment.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { configSchema } from "../components/config/schema";
import { ROOT } from "./plan";

const SCHEMA = path.join(ROOT, "components", "config", "schema.ts");
const README = path.join(ROOT, "README.md");
const BEGIN = "<!-- config:table -->";
const END = "<!-- /config:table -->";

interface Key { path: string; doc: string }

/** Every `const xSchema = z…strictObject({…})` of the schema file, by name, and the root. */
function objectLiterals(source: ts.SourceFile): Map<string, ts.ObjectLiteralExpression> {
    const found = new Map<string, ts.ObjectLiteralExpression>();
    const literalIn = (node: ts.Node): ts.ObjectLiteralExpression | undefined => {
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "strictObject"
            && node.arguments[0] && ts.isObjectLiteralExpression(node.arguments[0])) return node.arguments[0];
        return ts.forEachChild(node, literalIn);
    };
    for (const statement of source.statements) {
        if (!ts.isVariableStatement(statement)) continue;
        for (const d of statement.declarationList.declarations) {
            const literal = d.initializer && ts.isIdentifier(d.name) ? literalIn(d.initializer) : undefined;
            if (literal && ts.isIdentifier(d.name)) found.set(d.name.text, literal);
        }
    }
    return found;
}

/** A property's doc comment as one line of text. */
function docOf(prop: ts.Node, source: ts.SourceFile): string {
    const ranges = ts.getLeadingCommentRanges(source.text, prop.getFullStart()) ?? [];
    const doc = ranges.map((r) => source.text.slice(r.pos, r.end)).filter((t) => t.startsWith("/**")).pop() ?? "";
    return doc.replace(/^\/\*\*|\*\/$/g, "").split("\n").map((l) => l.replace(/^\s*\*\s?/, "").trim()).filter(Boolean).join(" ");
}

/** The keys under `literal`, depth first, with their doc comments. */
function keysOf(literal: ts.ObjectLiteralExpression, schemas: Map<string, ts.ObjectLiteralExpression>, source: ts.SourceFile, prefix = ""): Key[] {
    const keys: Key[] = [];
    for (const prop of literal.properties) {
        if (!ts.isPropertyAssignment(prop) || !ts.isIdentifier(prop.name)) continue;
        const key = `${prefix}${prop.name.text}`;
        const init = prop.initializer;
        if (ts.isIdentifier(init) && schemas.has(init.text)) {
            keys.push(...keysOf(schemas.get(init.text)!, schemas, source, `${key}.`));
            continue;
        }
        const array = /^z\s*\.array\((\w+)\)/.exec(init.getText(source));
        if (array && schemas.has(array[1])) {
            keys.push({ path: `${key}[]`, doc: docOf(prop, source) });
            keys.push(...keysOf(schemas.get(array[1])!, schemas, source, `${key}[].`));
            continue;
        }
        keys.push({ path: key, doc: docOf(prop, source) });
    }
    return keys;
}

/** The value at `key` (`a.b`, `nodes[].x` reads the first node) of a parsed config. */
function valueAt(config: unknown, key: string): unknown {
    let v: unknown = config;
    for (const part of key.split(".")) {
        const name = part.replace(/\[\]$/, "");
        v = v && typeof v === "object" ? (v as Record<string, unknown>)[name] : undefined;
        if (part.endsWith("[]")) v = Array.isArray(v) ? v[0] : undefined;
    }
    return v;
}

const shown = (v: unknown): string | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === "object") return `\`${JSON.stringify(v)}\``;
    return `\`${String(v)}\``;
};

/** "… Default X." split off the meaning: the sentence that says the default, if any. */
function splitDefault(doc: string): { meaning: string; stated?: string } {
    const m = /(?:^|\s)Default(?::|\s)\s*(.+?)\.(?:\s|$)/.exec(doc);
    if (!m) return { meaning: doc };
    const meaning = (doc.slice(0, m.index) + " " + doc.slice(m.index + m[0].length)).replace(/\s+/g, " ").trim();
    return { meaning, stated: m[1].trim() };
}

/** The table, and what is wrong with the schema's comments (a key without one, a stated default the schema contradicts). */
export function configTable(): { table: string; problems: string[] } {
    const source = ts.createSourceFile(SCHEMA, fs.readFileSync(SCHEMA, "utf8"), ts.ScriptTarget.Latest, true);
    const schemas = objectLiterals(source);
    const root = schemas.get("configSchema");
    if (!root) throw new Error(`${SCHEMA}: no configSchema = z.strictObject({…})`);
    const minimal = { nodes: [{ name: "node1", address: "10.0.0.1" }] };
    const classic = configSchema.parse(minimal);
    const swarm = configSchema.parse({ ...minimal, topology: "swarm" });
    const problems: string[] = [];
    const rows = ["| key | default | meaning |", "| --- | --- | --- |"];
    for (const k of keysOf(root, schemas, source)) {
        if (!k.doc) problems.push(`${k.path}: no doc comment in components/config/schema.ts`);
        const { meaning, stated } = splitDefault(k.doc);
        // What the minimal stack gives is required, not a default.
        const required = valueAt(minimal, k.path) !== undefined;
        const [a, b] = required ? [undefined, undefined] : [shown(valueAt(classic, k.path)), shown(valueAt(swarm, k.path))];
        // A stated default that is one plain value must be the schema's own.
        const plain = stated && /^`?[^\s`]+`?$/.test(stated) ? stated.replace(/`/g, "") : undefined;
        if (plain !== undefined && a !== undefined && `\`${plain}\`` !== a) problems.push(`${k.path}: the comment says the default is ${plain}, the schema applies ${a}`);
        let def = stated ? (plain !== undefined ? `\`${plain}\`` : stated) : a ?? (required ? "— (required)" : "—");
        if (!stated && a !== b && b !== undefined) def += ` (swarm: ${b})`;
        rows.push(`| \`${k.path}\` | ${def.replace(/\|/g, "\\|")} | ${meaning.replace(/\|/g, "\\|")} |`);
    }
    return { table: rows.join("\n"), problems };
}

if (require.main === module) {
    const check = process.argv.includes("--check");
    const { table, problems } = configTable();
    const readme = fs.readFileSync(README, "utf8");
    const [at, end] = [readme.indexOf(BEGIN), readme.indexOf(END)];
    if (at < 0 || end < at) {
        console.error(`README.md: no ${BEGIN} … ${END} section`);
        process.exit(1);
    }
    const next = `${readme.slice(0, at + BEGIN.length)}\n${table}\n${readme.slice(end)}`;
    for (const p of problems) console.error(p);
    if (check) {
        if (next !== readme) console.error("README.md: the configuration table differs from the schema's; run npm run config-reference");
        process.exit(next !== readme || problems.length ? 1 : 0);
    }
    fs.writeFileSync(README, next);
    console.error(`README.md: configuration table written (${table.split("\n").length - 2} keys)`);
    process.exit(problems.length ? 1 : 0);
}
