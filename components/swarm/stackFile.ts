import { stringify } from "yaml";
import { NodeSpec } from "../config";

/** The swarm node label that pins a service to one host. */
export const NODE_LABEL = "paperless-ha.node";
/** The swarm node label of the first node: the one whose step made (or rejoined) the swarm. */
export const FIRST_LABEL = "paperless-ha.first";

/** A file a service reads: a Docker secret or config, by the key its stack knows it under. */
export interface FileRef {
    /** Key in the stack's `secrets:` or `configs:` section. */
    source: string;
    /** Absolute path inside the container (secrets may also be bare names under /run/secrets). */
    target: string;
    /** Octal file mode; default 0444. */
    mode?: number;
}

export interface ServiceSpec {
    image: string;
    /** Set explicitly so any image with the binary on its PATH serves, not only the default one. */
    entrypoint?: string[];
    command?: string[];
    environment?: Record<string, string>;
    /** Bind mounts `host:container[:ro]`. */
    volumes?: string[];
    secrets?: FileRef[];
    configs?: FileRef[];
    /** `replicated` with one replica on `node`, or `global` on every node. */
    placement: { node: NodeSpec } | { global: true; excludeNode?: NodeSpec };
    healthcheck?: { test: string[]; interval: string; timeout: string; retries: number; start_period?: string };
    /** Time a clean shutdown may take (databases need more than the default 10 s). */
    stopGracePeriod?: string;
}

export interface StackSpec {
    services: Record<string, ServiceSpec>;
    /** Stack key -> Docker secret name (created outside the stack). */
    secrets: Record<string, string>;
    /** Stack key -> Docker config name (created outside the stack). */
    configs: Record<string, string>;
}

/** Compose interpolates `$`; a doubled `$$` reaches the container as one. */
export const literal = (s: string) => s.replace(/\$/g, "$$$$");

const fileRef = (f: FileRef) => ({ source: f.source, target: f.target, mode: f.mode ?? 0o444 });

function deploy(s: ServiceSpec): Record<string, unknown> {
    const restart = { condition: "any", delay: "5s" };
    if ("node" in s.placement) {
        // One task: an update paused by its first failure (a dependency still starting) would stay
        // paused, though the restart policy starts the new task again; there is nothing left to hold back.
        return {
            mode: "replicated", replicas: 1, placement: { constraints: [`node.labels.${NODE_LABEL} == ${s.placement.node.name}`] },
            restart_policy: restart, update_config: { failure_action: "continue" },
        };
    }
    const constraints = s.placement.excludeNode ? [`node.labels.${NODE_LABEL} != ${s.placement.excludeNode.name}`] : [];
    return { mode: "global", ...(constraints.length ? { placement: { constraints } } : {}), restart_policy: restart };
}

/**
 * A stack file for `docker stack deploy`: every service on the hosts' network (each binds its node's
 * cluster address, as the same daemons would without Docker), secrets and configs external because
 * the program creates them. Pure.
 */
export function renderStack(spec: StackSpec): string {
    const services = Object.fromEntries(Object.entries(spec.services).map(([name, s]) => [name, {
        image: s.image,
        ...(s.entrypoint ? { entrypoint: s.entrypoint.map(literal) } : {}),
        ...(s.command ? { command: s.command.map(literal) } : {}),
        ...(s.environment ? { environment: Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, literal(v)])) } : {}),
        ...(s.volumes?.length ? { volumes: s.volumes } : {}),
        ...(s.secrets?.length ? { secrets: s.secrets.map(fileRef) } : {}),
        ...(s.configs?.length ? { configs: s.configs.map(fileRef) } : {}),
        ...(s.healthcheck ? { healthcheck: s.healthcheck } : {}),
        ...(s.stopGracePeriod ? { stop_grace_period: s.stopGracePeriod } : {}),
        networks: ["hostnet"],
        deploy: deploy(s),
    }]));
    const external = (names: Record<string, string>) =>
        Object.fromEntries(Object.entries(names).map(([key, name]) => [key, { external: true, name }]));
    return stringify({
        version: "3.8",
        services,
        networks: { hostnet: { external: true, name: "host" } },
        ...(Object.keys(spec.secrets).length ? { secrets: external(spec.secrets) } : {}),
        ...(Object.keys(spec.configs).length ? { configs: external(spec.configs) } : {}),
    }, { lineWidth: 0 });
}
