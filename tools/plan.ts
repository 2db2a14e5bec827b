/**
 * The program's plan without the Pulumi CLI: index.ts evaluated under Pulumi mocks with a stack's
 * config, every resource it would register listed with its parent and dependencies — what
 * `pulumi preview` shows for a new stack. Nothing is contacted; a config error fails it.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { dependenciesOf, parentOf } from "./support/deps";
import { mockState, SSH_KEY } from "./support/mockState";
import { stackConfig, waitForRPCs } from "./support/runtime";
import { isSecretWrapper } from "./support/secrets";
import { readStackFile } from "./support/stackFile";

export const ROOT = path.resolve(__dirname, "..");

export interface PlannedResource {
    type: string;
    name: string;
    /** The component it belongs to; none for the program's top-level components. */
    parent?: string;
    /** A component groups others; a custom resource is what a provider creates. */
    custom: boolean;
    deps: string[];
    /** The explicit provider's name (a node's Docker API), if any. */
    provider?: string;
    inputs: Record<string, unknown>;
}

export interface Plan {
    resources: PlannedResource[];
    /** Stack outputs, secrets shown as `[secret]`. */
    outputs: Record<string, unknown>;
    /** Time to evaluate the program, from import to the last registration. */
    seconds: number;
}

/** The file of a stack name, or the path given. */
/** A stack's config file: Pulumi names it after the stack alone, so `org/prod` reads Pulumi.prod.yaml. */
export const stackPath = (stack: string) => (stack.endsWith(".yaml") ? path.resolve(stack) : path.join(ROOT, `Pulumi.${stack.split("/").pop()}.yaml`));

/** A stack's config for planning: encrypted values and the SSH key file are stood in for. */
export function planConfig(stack: string): Record<string, unknown> {
    const config = readStackFile(stackPath(stack), () => "[secret]");
    const ssh = config.ssh as Record<string, unknown> | undefined;
    // The key itself is never read under mocks; a stack with none is refused as `up` refuses it.
    if (ssh && "privateKeyPath" in ssh && config.sshPrivateKey === undefined) {
        const { privateKeyPath: _path, ...rest } = ssh;
        return { ...config, ssh: rest, sshPrivateKey: SSH_KEY };
    }
    return config.sshPrivateKey === undefined ? config : { ...config, sshPrivateKey: SSH_KEY };
}

const shown = (v: unknown): unknown => (isSecretWrapper(v) ? "[secret]" : v);

// Through require, not import(): modules in its cache can be forgotten.
const load = createRequire(__filename);

/** The program's own modules (index.ts, components/) leave the require cache, so the next import evaluates it afresh. */
function forgetProgram() {
    const components = path.join(ROOT, "components") + path.sep;
    for (const file of Object.keys(require.cache)) {
        if (file === path.join(ROOT, "index.ts") || file.startsWith(components)) delete require.cache[file];
    }
}

/** Evaluate index.ts with `config`. */
export async function evaluate(config: Record<string, unknown>): Promise<Plan> {
    forgetProgram();
    const resources: PlannedResource[] = [];
    await pulumi.runtime.setMocks({
        newResource(args: pulumi.runtime.MockResourceArgs) {
            resources.push({
                type: args.type, name: args.name, custom: args.custom !== false, deps: dependenciesOf(args.name),
                provider: args.provider?.split("::").slice(-2, -1)[0], inputs: args.inputs,
            });
            return { id: `${args.name}-id`, state: mockState(args.type, args.name, args.inputs, []) };
        },
        call(args: pulumi.runtime.MockCallArgs) {
            throw new Error(`the plan does not implement provider function ${args.token}`);
        },
    }, "paperless-ha", "plan", false);
    pulumi.runtime.setAllConfig(stackConfig(config), ["paperless-ha:sshPrivateKey"]);
    const started = process.hrtime.bigint();
    const program = load(path.join(ROOT, "index")) as Record<string, unknown>;
    await waitForRPCs();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const outputs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(program)) {
        if (!pulumi.Output.isInstance(v)) {
            outputs[k] = v;
            continue;
        }
        const secret = await pulumi.isSecret(v as pulumi.Output<unknown>);
        outputs[k] = secret ? "[secret]" : shown(await new Promise((resolve) => (v as pulumi.Output<unknown>).apply((x) => { resolve(x); return x; })));
    }
    await waitForRPCs();
    for (const r of resources) {
        const parent = parentOf(r.name);
        if (parent && resources.some((p) => p.name === parent)) r.parent = parent;
    }
    return { resources, outputs, seconds };
}
