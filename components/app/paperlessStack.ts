import { ClusterConfig, NodeSpec } from "../config";
import { ServiceSpec, StackSpec } from "../swarm/stackFile";
import { HOST_CA_CERT } from "../host/paths";
import { appHealthcheck, CONTAINER, NO_SECRETS, paperlessEnv, SECRET_ENV, SHARED_MOUNTS, withSecretFiles } from "./paperlessEnv";

/** The Redis URL, with its password: it travels as a Docker secret. Pure. */
export const redisUrl = (c: ClusterConfig, password: string) => paperlessEnv(c, c.redis, { ...NO_SECRETS, redisPassword: password }).PAPERLESS_REDIS;

export const paperlessService = (n: Pick<NodeSpec, "name">) => `paperless-${n.name}`;

/**
 * The application stack: one Paperless service pinned to each node (Redis runs on the hosts, see
 * RedisHa). Only the singleton's consumes, has a schedule and creates the admin; every instance
 * serves the web and runs workers. Secrets reach Paperless as `PAPERLESS_*_FILE`. Pure.
 */
export function paperlessStack(c: ClusterConfig, mountPoint: string, configs: Record<string, string>, secrets: Record<string, string>): StackSpec {
    const services: Record<string, ServiceSpec> = {};
    const shared = (dir: string, target: string) => `${mountPoint}/${dir}:${target}`;
    for (const n of c.nodes) {
        const singleton = n.name === c.singleton.name;
        const { env } = withSecretFiles(paperlessEnv(c, n, NO_SECRETS));
        services[paperlessService(n)] = {
            image: c.app.image,
            environment: env,
            volumes: [
                // Local to each node: the search index (one writer), scheduler state, logs.
                `${c.app.dataDir}:${CONTAINER.data}`,
                ...Object.entries(SHARED_MOUNTS).map(([dir, path]) => shared(dir, path)),
                ...(singleton ? [shared("consume", CONTAINER.consume)] : []),
                `${HOST_CA_CERT}:${CONTAINER.caCert}:ro`,
            ],
            secrets: Object.entries(SECRET_ENV)
                .filter(([k]) => `${k}_FILE` in env)
                .map(([, source]) => ({ source, target: source })),
            healthcheck: appHealthcheck(c),
            placement: { node: n },
        };
    }
    return { services, secrets, configs };
}
