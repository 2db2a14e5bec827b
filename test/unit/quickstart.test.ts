/**
 * The README's quickstart, its config commands applied to Pulumi.prod.yaml as `pulumi config`
 * applies them, then the program planned under mocks with the result: a step the README gets wrong
 * (a key set twice, a path that does not exist) fails here. The other commands (login, stack init,
 * preview, up, stack output) need the Pulumi CLI itself.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { validateConfig } from "../../components/config";
import { ROOT } from "../../tools/plan";
import { SSH_KEY } from "../../tools/support/mockState";
import { readStackFile } from "../../tools/support/stackFile";
import { runProgram } from "./harness";

/** Every `pulumi …` line of the quickstart's shell blocks, comments dropped. */
function quickstartCommands(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const start = readme.indexOf("## Quickstart on your own hosts");
    const section = readme.slice(start, readme.indexOf("\n## ", start + 3));
    return [...section.matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((m) => m[1].split("\n"))
        .map((l) => l.replace(/\s+#.*$/, "").trim())
        .filter((l) => l.startsWith("pulumi "));
}

/** `pulumi config rm|set` on a stack's config (keys without the project's namespace), as the CLI does. */
function applyConfigCommand(config: Record<string, unknown>, command: string): void {
    const rm = /^pulumi config rm paperless-ha:([\w.]+) --path$/.exec(command);
    const secretFromFile = /^pulumi config set --secret (\w+) < \S+$/.exec(command);
    if (rm) {
        const keys = rm[1].split(".");
        const parent = keys.slice(0, -1).reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, config);
        if (!parent || !(keys[keys.length - 1] in parent)) throw new Error(`${command}: Pulumi.prod.yaml has no ${rm[1]}`);
        delete parent[keys[keys.length - 1]];
    } else if (secretFromFile) {
        config[secretFromFile[1]] = SSH_KEY;
    } else {
        throw new Error(`the quickstart test does not know what this does to the config: ${command}`);
    }
}

describe("the README's quickstart", () => {
    const commands = quickstartCommands();

    it("walks from login to the outputs", () => {
        expect(commands[0]).toMatch(/^pulumi login /);
        expect(commands).toEqual(expect.arrayContaining(["pulumi stack init prod", "pulumi preview", "pulumi up", "pulumi stack output adminPassword --show-secrets"]));
    });

    it("leaves Pulumi.prod.yaml with its config commands as a stack the program plans", async () => {
        const config = readStackFile(path.join(ROOT, "Pulumi.prod.yaml"));
        const changes = commands.filter((c) => c.startsWith("pulumi config "));
        expect(changes.length).toBeGreaterThan(0);
        for (const c of changes) applyConfigCommand(config, c);
        expect(validateConfig(config).nodes.map((n) => n.name)).toEqual(["pl1", "pl2", "pl3"]);
        const run = await runProgram(config);
        expect(run.resources.filter((r) => r.type === "command:remote:Command").length).toBeGreaterThan(50);
        expect(run.outputs.appUrl).toBe("https://paperless.example.com");
    });

    it("would be refused with the secret key set but the file's path left in", () => {
        const config = readStackFile(path.join(ROOT, "Pulumi.prod.yaml"));
        applyConfigCommand(config, "pulumi config set --secret sshPrivateKey < key");
        expect(() => validateConfig(config)).toThrow(/set either the secret sshPrivateKey or ssh.privateKeyPath, not both/);
    });
});
