/**
 * A test double for the Pulumi engine, for machines without the Pulumi CLI or provider plugins.
 *
 * It runs the real program (index.ts) in-process under `pulumi.runtime.setMocks`, whose
 * `newResource` performs the real create, update or replace against the test hosts through small
 * actuators that mirror the providers' semantics. Dependencies order the calls and independent
 * resources run in parallel, as in the engine. A state file makes a second run a no-op, a changed
 * config act only on new or changed resources, and `destroy` delete in dependency order.
 * Users deploy with `pulumi up`; this exists so tests can prove what `pulumi up` would build.
 */
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stackConfig, waitForRPCs } from "../../tools/support/runtime";
import { plain, SECRET_OUTPUTS, secretWrapper } from "../../tools/support/secrets";
import { actuatorFor, newContext } from "./actuators";
import { dependenciesOf } from "../../tools/support/deps";
import { deletionOrder, keyOf, ResourceState, StateStore } from "./state";

export interface EngineOptions {
    /** The program to run (index.ts). */
    program: string;
    /** Stack config (the `config:` map of a Pulumi.<stack>.yaml, keys without namespace). */
    config: Record<string, unknown>;
    statePath: string;
    /** Scratch space for key material handed to local tools (mode 0700, cleaned). */
    scratch: string;
    log?: (msg: string) => void;
}

export interface RunSummary {
    created: string[];
    updated: string[];
    replaced: string[];
    deleted: string[];
    unchanged: number;
    failed: { name: string; error: string }[];
    outputs: Record<string, unknown>;
    seconds: number;
}

const emptySummary = (): RunSummary => ({ created: [], updated: [], replaced: [], deleted: [], unchanged: 0, failed: [], outputs: {}, seconds: 0 });

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) =>
    x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, x[k]])) : x);

/** A stored resource as actuators see it: plain values. */
const plainState = (r: ResourceState): ResourceState => ({ ...r, inputs: plain(r.inputs) as Inputs, outputs: plain(r.outputs) as Inputs });
type Inputs = Record<string, unknown>;

/** Provider references arrive as `<urn>::<id>`; the resource name is the URN's last part. */
const providerName = (ref?: string) => (ref ? ref.split("::").slice(-2, -1)[0] : undefined);

export async function up(opts: EngineOptions): Promise<RunSummary> {
    const started = Date.now();
    const log = opts.log ?? (() => undefined);
    const store = new StateStore(opts.statePath);
    const ctx = newContext(store, opts.scratch);
    const summary = emptySummary();
    const seen = new Set<string>();

    const handle = async (args: pulumi.runtime.MockResourceArgs) => {
        if (!args.custom) return { id: args.name, state: args.inputs };
        const inputs = plain(args.inputs) as Inputs;
        const key = keyOf(args.type, args.name);
        seen.add(key);
        const prev = store.get(args.type, args.name);
        const stateFor = (r: ResourceState) => {
            const outputs = plain(r.outputs) as Inputs;
            const state: Inputs = { ...args.inputs, ...outputs };
            for (const k of SECRET_OUTPUTS[args.type] ?? []) if (k in outputs) state[k] = pulumi.secret(outputs[k]);
            return { id: r.id, state };
        };
        if (prev && canonical(plain(prev.inputs)) === canonical(inputs)) {
            summary.unchanged++;
            return stateFor(prev);
        }
        const act = actuatorFor(args.type);
        const provider = providerName(args.provider);
        let result: { id: string; outputs: Record<string, unknown> };
        const inPlace = prev !== undefined && act.update !== undefined && act.canUpdate(inputs);
        const began = Date.now();
        try {
            if (prev && inPlace) {
                log(`~ ${args.name}`);
                result = await act.update!(inputs, plainState(prev), ctx, provider);
                summary.updated.push(args.name);
            } else if (prev && act.createBeforeDelete) {
                log(`+- ${args.name} (old one deleted after the run)`);
                result = await act.create(inputs, ctx, provider);
                replacedLater.push(plainState(prev));
                summary.replaced.push(args.name);
            } else if (prev) {
                log(`+- ${args.name}`);
                await act.delete(plainState(prev), ctx);
                result = await act.create(inputs, ctx, provider);
                summary.replaced.push(args.name);
            } else {
                log(`+ ${args.name}`);
                result = await act.create(inputs, ctx, provider);
                summary.created.push(args.name);
            }
        } catch (e) {
            const error = (e as Error).message;
            summary.failed.push({ name: args.name, error });
            log(`! ${args.name}: ${error}`);
            throw e;
        }
        // Start and end offsets let a run's critical path be read back from its log; to the millisecond,
        // so that a step that waited for another is never seen to start before it ended.
        log(`= ${args.name} ${((began - started) / 1000).toFixed(3)}s +${((Date.now() - began) / 1000).toFixed(3)}s`);
        const outputs: Inputs = { ...result.outputs };
        for (const k of SECRET_OUTPUTS[args.type] ?? []) if (k in outputs) outputs[k] = secretWrapper(outputs[k]);
        const next: ResourceState = {
            type: args.type, name: args.name, id: result.id, inputs: args.inputs, outputs, provider, deps: dependenciesOf(args.name),
            // A replacement made before its old one goes keeps the old one's place, so destroy still
            // removes what uses it first (Pulumi orders by dependencies; the state order stands in).
            seq: prev && (inPlace || act.createBeforeDelete) ? prev.seq : store.nextSeq(),
        };
        await store.put(next);
        return stateFor(next);
    };

    const inflight: Promise<unknown>[] = [];
    /** Replaced resources whose old instance goes once the run succeeded. */
    const replacedLater: ResourceState[] = [];
    await pulumi.runtime.setMocks({
        newResource(args) {
            const p = handle(args);
            inflight.push(p.catch(() => undefined));
            return p;
        },
        call(args) {
            throw new Error(`the engine does not implement provider function ${args.token}`);
        },
    }, "paperless-ha", "engine", false);
    const secretKeys = ["sshPrivateKey", "edgeCertificateKey"].filter((k) => k in opts.config).map((k) => `paperless-ha:${k}`);
    pulumi.runtime.setAllConfig(stackConfig(opts.config), secretKeys);

    // A failed resource rejects its dependents' registrations; collect those instead of crashing.
    const swallow = (reason: unknown) => {
        if (!summary.failed.length) summary.failed.push({ name: "(program)", error: String((reason as Error)?.message ?? reason) });
    };
    process.on("unhandledRejection", swallow);
    try {
        const program = await import(path.resolve(opts.program)) as Record<string, unknown>;
        await settle(inflight);
        if (!summary.failed.length) {
            for (const [k, v] of Object.entries(program)) {
                summary.outputs[k] = pulumi.Output.isInstance(v) ? await resolveOutput(v as pulumi.Output<unknown>) : v;
            }
        }
    } catch (e) {
        summary.failed.push({ name: "(program)", error: (e as Error).message });
    } finally {
        await settle(inflight).catch(() => undefined);
        process.off("unhandledRejection", swallow);
    }

    // Resources the program no longer declares go, newest first, once the rest succeeded.
    if (!summary.failed.length) {
        for (const old of replacedLater.reverse()) {
            log(`- ${old.name} (replaced)`);
            await actuatorFor(old.type).delete(old, ctx);
        }
        for (const r of deletionOrder(store.all().filter((x) => !seen.has(keyOf(x.type, x.name))))) {
            log(`- ${r.name}`);
            await actuatorFor(r.type).delete(plainState(r), ctx);
            await store.remove(r.type, r.name);
            summary.deleted.push(r.name);
        }
    }
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
}

/** Delete everything in the state, dependents before what they depend on. */
export async function destroy(opts: Pick<EngineOptions, "statePath" | "scratch" | "log">): Promise<RunSummary> {
    const started = Date.now();
    const log = opts.log ?? (() => undefined);
    const store = new StateStore(opts.statePath);
    const ctx = newContext(store, opts.scratch);
    const summary = emptySummary();
    for (const r of deletionOrder(store.all())) {
        log(`- ${r.name}`);
        try {
            await actuatorFor(r.type).delete(plainState(r), ctx);
        } catch (e) {
            summary.failed.push({ name: r.name, error: (e as Error).message });
            break;
        }
        await store.remove(r.type, r.name);
        summary.deleted.push(r.name);
    }
    summary.seconds = (Date.now() - started) / 1000;
    return summary;
}

/**
 * Wait until no resource operation is running and no new one starts. The runtime's own queue
 * never drains when a resource failed (its dependents wait forever), so it is only given a moment.
 */
async function settle(inflight: Promise<unknown>[]): Promise<void> {
    let count = -1;
    while (count !== inflight.length) {
        count = inflight.length;
        await Promise.all(inflight);
        await Promise.race([waitForRPCs().catch(() => undefined), new Promise((r) => setTimeout(r, 1500))]);
    }
}

function resolveOutput<T>(o: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => o.apply((v) => { resolve(v); return v; }));
}
