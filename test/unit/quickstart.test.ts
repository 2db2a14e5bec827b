/**
 * The README's quickstart, its config commands applied to Pulumi.prod.yaml as `pulumi config`
 * applies them, then the program planned under mocks with the result: a step the README gets wrong
 * (a key set twice, a path that does not exist) fails here. The other commands (login, stack init,
 * preview, up, stack output) need the Pulumi CLI itself.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
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

/**
 * The files the quickstart's commands read: the SSH key, and a certificate for the README's name
 * with its key (made with openssl, as a CA would hand them out).
 */
const files = (() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-quickstart-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "privkey.pem", "-out", "fullchain.pem",
        "-subj", "/CN=paperless.example.com", "-addext", "subjectAltName=DNS:paperless.example.com", "-days", "2");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    const out: Record<string, string> = { "fullchain.pem": read("fullchain.pem"), "privkey.pem": read("privkey.pem") };
    fs.rmSync(dir, { recursive: true, force: true });
    return out;
})();
const fileContent = (name: string) => files[name] ?? SSH_KEY;

/** Set a `--path` key (dots and `[index]`) as the CLI does, making what is missing on the way. */
function setPath(config: Record<string, unknown>, key: string, value: unknown) {
    const keys = key.replace(/\[(\d+)\]/g, ".$1").split(".");
    let o = config as Record<string, unknown>;
    for (const [i, k] of keys.slice(0, -1).entries()) {
        o[k] ??= /^\d+$/.test(keys[i + 1]) ? [] : {};
        o = o[k] as Record<string, unknown>;
    }
    o[keys[keys.length - 1]] = value;
}

/** `pulumi config rm|set` on a stack's config (keys without the project's namespace), as the CLI does. */
function applyConfigCommand(config: Record<string, unknown>, command: string): void {
    const rm = /^pulumi config rm paperless-ha:([\w.]+) --path$/.exec(command);
    const secretFromFile = /^pulumi config set --secret (\w+) < (\S+)$/.exec(command);
    const pathFromFile = /^pulumi config set --path ([\w.[\]]+) < (\S+)$/.exec(command);
    const pathValue = /^pulumi config set --path ([\w.[\]]+) (\S+)$/.exec(command);
    if (pathFromFile) {
        setPath(config, pathFromFile[1], fileContent(pathFromFile[2]));
    } else if (pathValue) {
        setPath(config, pathValue[1], pathValue[2]);
    } else if (rm) {
        const keys = rm[1].split(".");
        const parent = keys.slice(0, -1).reduce<Record<string, unknown> | undefined>((o, k) => o?.[k] as Record<string, unknown> | undefined, config);
        if (!parent || !(keys[keys.length - 1] in parent)) throw new Error(`${command}: Pulumi.prod.yaml has no ${rm[1]}`);
        delete parent[keys[keys.length - 1]];
    } else if (secretFromFile) {
        config[secretFromFile[1]] = fileContent(secretFromFile[2]);
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
        // The certificate of the user's own is what every node's HAProxy is given.
        expect(validateConfig(config).edge.certificate).toBe(files["fullchain.pem"]);
    });

    it("would be refused with the secret key set but the file's path left in", () => {
        const config = readStackFile(path.join(ROOT, "Pulumi.prod.yaml"));
        applyConfigCommand(config, "pulumi config set --secret sshPrivateKey < key");
        expect(() => validateConfig(config)).toThrow(/set either the secret sshPrivateKey or ssh.privateKeyPath, not both/);
    });
});
