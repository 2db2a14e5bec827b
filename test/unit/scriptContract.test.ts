/**
 * The contract between the components and the host scripts, checked both ways: every script's
 * required names (`: "${X:?}"`) are given wherever it runs, every name given is one the script
 * declares (required, or optional as `${X:-…}`), and its `# Reads:` header lists exactly those.
 * Scripts are found in what the real program registers under mocks, for each topology and engine,
 * and in what `npm run status` sends.
 */
import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { hostScript, SCRIPT_DIR, withLib } from "../../components/host/remoteScript";
import { shellQuote } from "../../components/host/quote";
import { renderMetricsEnv } from "../../components/monitoring";
import { statusEnv } from "../../tools/status";
import { baseConfig, configOf, plain, runProgram, swarmConfig } from "./harness";

const NAME = /[A-Z_][A-Z0-9_]*/.source;

/**
 * The names a script declares: required by an unindented `: "${X:?}"` line, optional by `${X:-…}` or
 * a `${X:?}` inside a branch; and the names its header's `Reads:` comment lists (prose words too).
 */
function declared(text: string): { required: Set<string>; optional: Set<string>; reads: Set<string> | undefined } {
    const names = (s: string, re: RegExp) => [...s.matchAll(re)].map((m) => m[1]);
    const checked = new RegExp(`\\$\\{(${NAME}):\\?`, "g");
    const required = new Set(text.split("\n").filter((l) => l.startsWith(": ")).flatMap((l) => names(l, checked)));
    const optional = new Set([...names(text, checked), ...names(text, new RegExp(`\\$\\{(${NAME}):-`, "g"))].filter((n) => !required.has(n)));
    // The header: the comment lines from the one holding "Reads:" to the end of that comment.
    const lines = text.split("\n");
    const at = lines.findIndex((l) => /^#.*\bReads:/.test(l));
    let reads: Set<string> | undefined;
    if (at >= 0) {
        const block: string[] = [lines[at].replace(/^.*\bReads:/, "")];
        for (let i = at + 1; i < lines.length && lines[i].startsWith("#"); i++) block.push(lines[i]);
        reads = new Set(names(block.join(" "), new RegExp(`\\b(${NAME})\\b`, "g")));
    }
    return { required, optional, reads };
}

/** The names an `export K='v'` header gives, and the script text after it. */
function splitStdin(stdin: string): { given: string[]; body: string } {
    const lines = stdin.split("\n");
    const given: string[] = [];
    let i = 0;
    // Values are single-quoted and may span lines; a line opens a new export only outside quotes.
    let open = false;
    for (; i < lines.length; i++) {
        const line = lines[i];
        if (!open) {
            const m = new RegExp(`^export (${NAME})=`).exec(line);
            if (!m) break;
            given.push(m[1]);
        }
        const quotes = (line.replace(/'\\''/g, "").match(/'/g) ?? []).length;
        if (quotes % 2 === 1) open = !open;
    }
    return { given, body: lines.slice(i).join("\n") };
}

/** The names an inline delete command (`env K='v' … bash -c '<script>'`) gives, and its script. */
function splitDelete(cmd: string, scripts: Map<string, string>): { given: string[]; name: string } | undefined {
    for (const [text, name] of scripts) {
        const tail = ` bash -c ${shellQuote(text)}`;
        if (!cmd.endsWith(tail)) continue;
        const assigns = cmd.slice(0, -tail.length).replace(/^(sudo -n )?env ?/, "");
        const given = [...assigns.matchAll(new RegExp(`(?:^| )(${NAME})='(?:[^']|'\\\\'')*'`, "g"))].map((m) => m[1]);
        return { given, name };
    }
    return undefined;
}

/** The collector the monitoring step installs; it reads an env file, not stdin. */
const METRICS = "tools/paperless-ha-metrics";
const hostScripts = fs.readdirSync(SCRIPT_DIR).filter((f) => f.endsWith(".sh") && f !== "lib.sh").map((f) => f.slice(0, -3));

const CONFIGS: Record<string, Record<string, unknown>> = {
    "classic pgactive": { ...baseConfig(3), edge: { enabled: true }, backup: { encrypt: true, remote: "backup@10.0.0.99:/srv/backups" } },
    "classic patroni": { ...baseConfig(3), database: { engine: "patroni" }, edge: { virtualAddress: "10.0.0.100" } },
    "classic pgactive from a repository": { ...baseConfig(3), database: { pgactive: { install: "none", maxNodes: 4 } } },
    swarm: { ...swarmConfig(3), edge: { enabled: true } },
};

interface Use { config: string; resource: string; given: string[] }

describe("the contract between components and host scripts", () => {
    const uses = new Map<string, Use[]>();

    beforeAll(async () => {
        const byText = new Map(hostScripts.map((n) => [withLib(hostScript(n)), n]));
        for (const [config, raw] of Object.entries(CONFIGS)) {
            const run = await runProgram(raw);
            for (const r of run.resources.filter((x) => x.type === "command:remote:Command")) {
                const inputs = plain(r.inputs) as { stdin?: string; delete?: string };
                const add = (name: string, given: string[]) => uses.set(name, [...(uses.get(name) ?? []), { config, resource: r.name, given }]);
                if (inputs.stdin) {
                    const { given, body } = splitStdin(inputs.stdin);
                    const name = byText.get(body);
                    if (name) add(name, given);
                }
                if (inputs.delete) {
                    const d = splitDelete(inputs.delete, byText);
                    if (d) add(d.name, d.given);
                }
            }
            // `npm run status` runs status.sh over its own SSH.
            const c = configOf(raw);
            for (const n of c.nodes) uses.set("status", [...(uses.get("status") ?? []), { config, resource: `status on ${n.name}`, given: Object.keys(statusEnv(c, n)) }]);
            // The metrics collector sources the env file the monitoring step writes.
            for (const n of c.nodes) {
                const given = [...renderMetricsEnv(c, n).matchAll(new RegExp(`^(${NAME})=`, "gm"))].map((m) => m[1]);
                uses.set(METRICS, [...(uses.get(METRICS) ?? []), { config, resource: `metrics.env of ${n.name}`, given }]);
            }
        }
    }, 120_000);

    it("runs every host script somewhere (a script nothing runs is dead)", () => {
        const unused = hostScripts.filter((n) => !uses.has(n));
        expect(unused).toEqual([]);
    });

    it("gives each script every name it requires, and only names it declares or its header lists", () => {
        const wrong: string[] = [];
        for (const [name, list] of uses) {
            const d = declared(hostScript(name));
            for (const u of list) {
                const missing = [...d.required].filter((k) => !u.given.includes(k));
                const unknown = u.given.filter((k) => !d.required.has(k) && !d.optional.has(k) && !d.reads?.has(k));
                if (missing.length) wrong.push(`${name}.sh (${u.resource}, ${u.config}): not given ${missing.join(", ")}`);
                if (unknown.length) wrong.push(`${name}.sh (${u.resource}, ${u.config}): given ${unknown.join(", ")}, which it neither declares nor lists`);
            }
        }
        expect([...new Set(wrong)]).toEqual([]);
    });

    it("lists in each script's Reads: header every name it requires or is given", () => {
        const wrong: string[] = [];
        for (const name of [...hostScripts, METRICS]) {
            const d = declared(hostScript(name));
            const names = new Set([...d.required, ...(uses.get(name) ?? []).flatMap((u) => u.given)]);
            if (!names.size) continue;
            const unlisted = [...names].filter((n) => !d.reads?.has(n)).sort();
            if (unlisted.length) wrong.push(`${name}.sh: ${d.reads ? "Reads: leaves out" : "no Reads: header for"} ${unlisted.join(", ")}`);
        }
        expect(wrong).toEqual([]);
    });
});
