/**
 * `npm run preview -- [STACK|FILE.yaml ...]`: what `pulumi preview` would show for a new stack, from the real
 * program under mocks (tools/plan.ts): the resource tree, a count per type and the outputs. Exits
 * non-zero, naming the bad key, when a stack's config does not validate. Default stack: dev.
 */
import * as path from "node:path";
import { evaluate, Plan, planConfig, stackPath } from "./plan";

function tree(plan: Plan): string[] {
    const children = new Map<string | undefined, Plan["resources"]>();
    for (const r of plan.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
    const width = Math.max(...plan.resources.map((r) => r.type.length)) + 4;
    const lines: string[] = [];
    const walk = (parent: string | undefined, depth: number) => {
        for (const r of children.get(parent) ?? []) {
            lines.push(` +  ${`${"   ".repeat(depth)}${r.type}`.padEnd(width + depth * 3)} ${r.name}`);
            walk(r.name, depth + 1);
        }
    };
    walk(undefined, 0);
    return lines;
}

function counts(plan: Plan): string[] {
    const byType = new Map<string, number>();
    for (const r of plan.resources.filter((x) => x.custom)) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
    return [...byType].sort((a, b) => b[1] - a[1]).map(([t, n]) => `    ${String(n).padStart(4)} ${t}`);
}

async function main() {
    const stacks = process.argv.slice(2).filter((a) => !a.startsWith("-"));
    for (const stack of stacks.length ? stacks : ["dev"]) {
        let plan: Plan;
        try {
            plan = await evaluate(planConfig(stack));
        } catch (e) {
            console.error(`preview of ${path.basename(stackPath(stack))} failed: ${(e as Error).message}`);
            process.exitCode = 1;
            continue;
        }
        const custom = plan.resources.filter((r) => r.custom).length;
        console.log(`Previewing ${path.basename(stackPath(stack))} under mocks; no host is contacted.\n`);
        console.log(tree(plan).join("\n"));
        console.log(`\nOutputs:\n${Object.entries(plan.outputs).map(([k, v]) => `    ${k}: ${JSON.stringify(v)}`).join("\n")}`);
        console.log(`\nResources: + ${plan.resources.length} to create (${custom} resources in ${plan.resources.length - custom} components)`);
        console.log(counts(plan).join("\n"));
        console.log(`Evaluated in ${plan.seconds.toFixed(2)} s\n`);
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
