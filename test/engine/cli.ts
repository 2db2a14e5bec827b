/**
 * Deploy with the test engine (see engine.ts): for machines without the Pulumi CLI.
 *   tsx test/engine/cli.ts up|destroy|admin-password [--stack dev] [--stack-file FILE] [--state FILE]
 * Prints each action, then one line `engine-summary {json}`; exits non-zero on any failure.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { plain } from "../../tools/support/secrets";
import { readStackFile } from "../../tools/support/stackFile";
import { destroy, RunSummary, up } from "./engine";
import { StateStore } from "./state";

const root = path.resolve(__dirname, "..", "..");

function arg(name: string, fallback?: string): string | undefined {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
}

async function main() {
    const verb = process.argv[2];
    const stack = arg("stack", "dev")!;
    const stackFile = path.resolve(arg("stack-file", path.join(root, `Pulumi.${stack}.yaml`))!);
    const statePath = path.resolve(arg("state", path.join(root, ".sandbox", "engine", `${stack}.json`))!);
    const scratch = path.join(path.dirname(statePath), "scratch");
    const log = (m: string) => console.log(m);
    process.chdir(root);
    let summary: RunSummary;
    if (verb === "up") {
        summary = await up({ program: path.join(root, "index.ts"), config: readStackFile(stackFile), statePath, scratch, log });
    } else if (verb === "admin-password") {
        // The one secret an operator needs, shown only on request, like `pulumi stack output --show-secrets`.
        const r = new StateStore(statePath).all().find((x) => x.name === "secrets-admin");
        if (!r) throw new Error(`no admin password in ${statePath}; deploy first`);
        console.log(String((plain(r.outputs) as Record<string, unknown>).result));
        return;
    } else if (verb === "destroy") {
        summary = await destroy({ statePath, scratch, log });
    } else {
        console.error("usage: cli.ts up|destroy [--stack NAME] [--stack-file FILE] [--state FILE]");
        process.exit(2);
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    const { outputs, ...counts } = summary;
    const publicOutputs = Object.fromEntries(Object.entries(outputs).filter(([k]) => k !== "adminPassword"));
    if (verb === "up" && !summary.failed.length) {
        fs.writeFileSync(statePath.replace(/\.json$/, ".outputs.json"), JSON.stringify(publicOutputs, null, 2));
    }
    console.log(`engine-summary ${JSON.stringify({ ...counts, outputs: publicOutputs })}`);
    process.exit(summary.failed.length ? 1 : 0);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
