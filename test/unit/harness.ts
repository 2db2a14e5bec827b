import { spawnSync } from "node:child_process";
/**
 * Runs the real program (index.ts) under Pulumi mocks and records every resource it registers,
 * in registration order, with its inputs as the engine would receive them (secret markers kept).
 */
import * as pulumi from "@pulumi/pulumi";
import { expect, vi } from "vitest";
import { dependenciesOf } from "../../tools/support/deps";
import { waitForRPCs, stackConfig } from "../../tools/support/runtime";
import { asStack, mockState, SSH_KEY, TEST_MANAGEMENT, testHostKey } from "../../tools/support/mockState";
import { ClusterConfig, ConfigError, validateConfig } from "../../components/config";

export { stackConfig } from "../../tools/support/runtime";
export { plain, plainStrings } from "../../tools/support/secrets";
export { asStack, SSH_KEY, TEST_MANAGEMENT, testHostKey } from "../../tools/support/mockState";

export interface Recorded {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    /** Registration order: a resource registers only after everything it depends on. */
    order: number;
    /** Names of the resources this one directly depends on (dependsOn and data). */
    deps: string[];
}

export interface ProgramRun {
    resources: Recorded[];
    /** The program's exports as they are (Outputs kept). */
    exports: Record<string, unknown>;
    /** The exports resolved to plain values. */
    outputs: Record<string, unknown>;
    /** Every secret plaintext the mocks handed out (passwords, private keys, the SSH key). */
    secretValues: string[];
    byName(name: string): Recorded;
    /** Whether `later` depends on `earlier`, directly or through other resources. */
    dependsOn(later: string, earlier: string): boolean;
}

/** Run index.ts with this stack config; rejects with the program's error (e.g. a ConfigError). */
export async function runProgram(config: Record<string, unknown>): Promise<ProgramRun> {
    const resources: Recorded[] = [];
    const secretValues: string[] = [SSH_KEY];
    let order = 0;
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            resources.push({ type: args.type, name: args.name, inputs: args.inputs, order: order++, deps: dependenciesOf(args.name) });
            return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs, secretValues) };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            throw new Error(`unexpected call ${args.token}`);
        },
    }, "paperless-ha", "test", false);
    const secretKeys = "sshPrivateKey" in config ? ["paperless-ha:sshPrivateKey"] : [];
    pulumi.runtime.setAllConfig(stackConfig(config), secretKeys);

    vi.resetModules();
    let program: Record<string, unknown>;
    try {
        program = await import("../../index") as Record<string, unknown>;
    } catch (e) {
        await waitForRPCs();
        throw new ProgramFailure(e as Error, resources);
    }
    await waitForRPCs();
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(program)) {
        outputs[k] = pulumi.Output.isInstance(v) ? await promiseOf(v as pulumi.Output<unknown>) : v;
    }
    await waitForRPCs();
    return {
        resources,
        exports: program,
        outputs,
        secretValues,
        byName(name: string) {
            const r = resources.find((x) => x.name === name);
            if (!r) throw new Error(`no resource named ${name}; have ${resources.map((x) => x.name).join(", ")}`);
            return r;
        },
        dependsOn(later: string, earlier: string) {
            const byName = new Map(resources.map((r) => [r.name, r]));
            const seen = new Set<string>();
            const stack = [...(byName.get(later)?.deps ?? [])];
            while (stack.length) {
                const n = stack.pop()!;
                if (n === earlier) return true;
                if (seen.has(n)) continue;
                seen.add(n);
                stack.push(...(byName.get(n)?.deps ?? []));
            }
            return false;
        },
    };
}

/** The program threw; `resources` is what it had registered by then. */
export class ProgramFailure extends Error {
    constructor(public readonly cause: Error, public readonly resources: Recorded[]) {
        super(cause.message);
    }
}

export function promiseOf<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}

/** A valid swarm config of `nodes` nodes. */
export function swarmConfig(nodes = 3): Record<string, unknown> {
    const { database: _pgactive, ...rest } = baseConfig(nodes);
    return { ...rest, topology: "swarm" };
}

/** A valid three-node classic config; tests change one thing at a time. */
export function baseConfig(nodes = 3): Record<string, unknown> {
    return {
        topology: "classic",
        nodes: Array.from({ length: nodes }, (_, i) => ({ name: `node${i + 1}`, address: `10.0.0.${11 + i}`, hostKey: testHostKey(`10.0.0.${11 + i}`) })),
        sshPrivateKey: SSH_KEY,
        database: { pgactive: { maxNodes: Math.max(4, nodes) } },
        firewall: { managementCidrs: TEST_MANAGEMENT },
    };
}

/** The value a host script receives for VAR, unquoted. */
export function scriptVar(text: string, v: string): string {
    const m = new RegExp(`^export ${v}='((?:[^']|'\\\\'')*)'$`, "m").exec(text);
    if (!m) throw new Error(`no ${v} in script`);
    return m[1].replace(/'\\''/g, "'");
}

/** What bash sees after sourcing an env file a host script sources: the proof its quoting holds. */
export function sourced(text: string): Record<string, string> {
    const out = spawnSync("bash", ["-c", 'set -a; eval "$(cat)"; env -0'], { input: text, env: {}, encoding: "utf8" });
    if (out.status !== 0) throw new Error(`bash could not source it: ${out.stderr}`);
    return Object.fromEntries(out.stdout.split("\0").filter(Boolean).map((l) => l.split(/=(.*)/s).slice(0, 2)));
}

/** A resolved config from `raw` as a real stack lists it (see asStack). */
export const configOf = (raw: unknown): ClusterConfig => validateConfig(asStack(raw));

/** What validateConfig says of `raw`, which it must refuse with a ConfigError. */
export function configProblems(raw: unknown): string[] {
    try {
        validateConfig(raw);
    } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).problems;
    }
    throw new Error("config was accepted");
}
