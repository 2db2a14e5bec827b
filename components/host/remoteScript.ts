import * as fs from "node:fs";
import * as path from "node:path";
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shellQuote } from "./quote";

/** Host shell lives in scripts/host/*.sh; components refer to it by name. */
export const SCRIPT_DIR = path.join(__dirname, "..", "..", "scripts", "host");

const scriptCache = new Map<string, string>();

/** Text of scripts/host/<name>.sh. */
export function hostScript(name: string): string {
    let text = scriptCache.get(name);
    if (text === undefined) {
        text = fs.readFileSync(path.join(SCRIPT_DIR, `${name}.sh`), "utf8");
        scriptCache.set(name, text);
    }
    return text;
}

export { renderShellVars, shellQuote } from "./quote";

/**
 * What a host script reads on stdin: a header of quoted exports, then the script. Values travel in
 * the SSH stream, never in a command line (sshd's AcceptEnv would be needed for `environment`).
 */
export function renderStdin(script: string, env: Record<string, string>): string {
    const header = Object.keys(env)
        .sort()
        .map((k) => {
            if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid script variable name '${k}'`);
            return `export ${k}=${shellQuote(env[k])}`;
        })
        .join("\n");
    return `${header}\n${script}`;
}

/** The login a component runs host scripts through. */
export interface HostLogin {
    /** Node name, for messages. */
    node: string;
    connection: command.types.input.remote.ConnectionArgs;
    /** Log in as a non-root user and elevate with `sudo -n`. */
    sudo: boolean;
}

/**
 * The shell that reads a script from stdin, as root. sudo clears the environment, so the login's
 * SSH_CONNECTION (which the firewall step needs to keep its own session admitted) is handed on,
 * expanded by the login shell: an address and ports, nothing secret.
 */
export function rootShell(login: Pick<HostLogin, "sudo">): string {
    return login.sudo ? 'sudo -n env SSH_CONNECTION="$SSH_CONNECTION" bash -s' : "bash -s";
}

/**
 * No host step runs longer than this. Every wait inside a script has its own, shorter limit; this one
 * bounds what has none of its own (a package download, an image build) so a hung step fails the run.
 */
export const STEP_TIME_LIMIT_S = 3600;

/**
 * The command a step runs: its script from stdin as root, stopped (with its children) after
 * `limit` seconds, with a message naming the step. 124 is timeout's status for a step it stopped.
 */
export function stepShell(login: Pick<HostLogin, "sudo">, step: string, limit = STEP_TIME_LIMIT_S): string {
    const said = shellQuote(`step ${step} did not finish within ${limit}s and was stopped`);
    const run = rootShell(login).replace(/bash -s$/, `timeout -k 30 ${limit} bash -s`);
    return `${run} || { rc=$?; [ "$rc" -ne 124 ] || echo ${said} >&2; exit "$rc"; }`;
}

/** Every script reaches the host behind the shared helpers of scripts/host/lib.sh. */
export function withLib(script: string): string {
    return `${hostScript("lib")}\n${script}`;
}

/**
 * A delete command carries its script inline because the provider feeds no stdin on delete; only
 * plain, non-secret values may go here (they are visible in `ps` on the host).
 */
export function inlineScript(login: HostLogin, script: string, env: Record<string, string>): string {
    const assigns = Object.keys(env)
        .sort()
        .map((k) => `${k}=${shellQuote(env[k])}`)
        .join(" ");
    const sudo = login.sudo ? "sudo -n " : "";
    return `${sudo}env ${assigns} bash -c ${shellQuote(script)}`;
}

export interface ScriptArgs {
    login: HostLogin;
    /** scripts/host/<script>.sh */
    script: string;
    /** Variables exported before the script runs; may hold secrets. */
    env: Record<string, pulumi.Input<string>>;
    /** scripts/host/<deleteScript>.sh, run on destroy with `deleteEnv`. */
    deleteScript?: string;
    deleteEnv?: Record<string, string>;
}

/**
 * A remote command that runs a host script. `update` repeats `create`, so a changed input re-runs the
 * idempotent script in place instead of replacing the resource (a replacement would run the old
 * resource's delete after the new create).
 */
export function runScript(name: string, args: ScriptArgs, opts: pulumi.CustomResourceOptions): command.remote.Command {
    const text = withLib(hostScript(args.script));
    const stdin = pulumi.all(args.env).apply((env) => renderStdin(text, env));
    const shell = stepShell(args.login, name);
    return new command.remote.Command(
        name,
        {
            connection: args.login.connection,
            create: shell,
            update: shell,
            stdin,
            delete: args.deleteScript ? inlineScript(args.login, withLib(hostScript(args.deleteScript)), args.deleteEnv ?? {}) : undefined,
            addPreviousOutputInEnv: false,
            logging: "stderr",
        },
        // A script's output may quote what it was given (a failing command echoes its arguments).
        { ...opts, additionalSecretOutputs: ["stdout", "stderr"] },
    );
}
