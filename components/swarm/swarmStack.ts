import { createHash, createHmac } from "node:crypto";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HostLogin, runScript } from "../host";
import { renderStack, StackSpec } from "./stackFile";

export interface StackNames {
    /** Stack key -> Docker secret name. */
    secrets: Record<string, string>;
    /** Stack key -> Docker config name. */
    configs: Record<string, string>;
}

export interface SwarmStackArgs {
    /** Where `docker stack deploy` runs: the first manager. */
    manager: HostLogin;
    /** Docker API of that manager, for secrets and configs. */
    provider: docker.Provider;
    /** Values the services read from /run/secrets; never written into the stack file. */
    secrets: Record<string, pulumi.Input<string>>;
    /** Files the services read (no secrets in them). */
    configs: Record<string, pulumi.Input<string>>;
    /** Keys the secrets' name suffixes; a secret itself, so the names tell nothing of the values. */
    nameKey: pulumi.Input<string>;
    /** The stack, given the names its secrets and configs were created under. Pure. */
    render: (names: StackNames) => StackSpec;
    /** Seconds the services may take to converge. */
    convergeTimeout: number;
}

/** Docker secrets and configs are immutable: a changed value gets a new name, and the stack moves to it. */
export const configName = (stack: string, key: string, content: string) =>
    `${stack}_${key}_${createHash("sha256").update(content).digest("hex").slice(0, 12)}`;
export const secretName = (stack: string, key: string, value: string, nameKey: string) =>
    `${stack}_${key}_${createHmac("sha256", nameKey).update(value).digest("hex").slice(0, 12)}`;

const base64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/**
 * One swarm stack: its secrets and configs created through the manager's Docker API, its file
 * rendered from data and applied with `docker stack deploy`, which re-runs whenever the rendered
 * file changes and returns only once every service has converged.
 */
export class SwarmStack extends pulumi.ComponentResource {
    public readonly deployed: command.remote.Command;
    /** The rendered stack file (no secrets in it). */
    public readonly stackFile: pulumi.Output<string>;

    constructor(name: string, args: SwarmStackArgs, opts?: pulumi.CustomResourceOptions & { dependsOn?: pulumi.Resource[] }) {
        super("paperless-ha:swarm:SwarmStack", name, {}, { parent: opts?.parent });
        const stack = name;
        const after = opts?.dependsOn ?? [];
        const secretNames = Object.fromEntries(Object.entries(args.secrets).map(([key, value]) => {
            const id = pulumi.unsecret(pulumi.all([value, args.nameKey]).apply(([v, k]) => secretName(stack, key, v, k)));
            const s = new docker.Secret(`${name}-secret-${key}`, {
                name: id,
                data: pulumi.secret(pulumi.output(value).apply(base64)),
            }, { parent: this, provider: args.provider, dependsOn: after });
            return [key, s.name];
        }));
        const configNames = Object.fromEntries(Object.entries(args.configs).map(([key, content]) => {
            const cfg = new docker.ServiceConfig(`${name}-config-${key}`, {
                name: pulumi.output(content).apply((t) => configName(stack, key, t)),
                data: pulumi.output(content).apply(base64),
            }, { parent: this, provider: args.provider, dependsOn: after });
            return [key, cfg.name];
        }));
        this.stackFile = pulumi.all([pulumi.all(secretNames), pulumi.all(configNames)])
            .apply(([secrets, configs]) => renderStack(args.render({ secrets, configs })));
        this.deployed = runScript(`${name}-deploy`, {
            login: args.manager,
            script: "stack-deploy",
            env: { STACK: stack, STACK_YAML: this.stackFile, TIMEOUT: String(args.convergeTimeout) },
            deleteScript: "stack-rm",
            deleteEnv: { STACK: stack },
        }, { parent: this, dependsOn: after });
        this.registerOutputs({ stackFile: this.stackFile });
    }
}
