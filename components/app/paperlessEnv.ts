import { ClusterConfig, hostPort, NodeSpec } from "../config";

/** Paths inside the Paperless image. */
export const CONTAINER = {
    data: "/usr/src/paperless/data",
    media: "/usr/src/paperless/media",
    consume: "/usr/src/paperless/consume",
    export: "/usr/src/paperless/export",
    caCert: "/run/paperless-ha/ca.crt",
    src: "/usr/src/paperless/src",
    schedulerRun: "/etc/s6-overlay/s6-rc.d/svc-scheduler/run",
} as const;

/** Where each node keeps the cluster CA (written by the host's tls step). */
export const HOST_CA_CERT = "/etc/paperless-ha/tls/ca.crt";

/**
 * How Docker tells a Paperless instance is up, in the compose file's terms. Docker before 25 probes
 * first one interval after the start, so a short interval lets a new instance count as healthy, and
 * a rolling update move on, within seconds; 15 misses in a row (45 s, about what 5 x 10 s was)
 * still mark it unhealthy.
 */
export function appHealthcheck(c: ClusterConfig) {
    return {
        test: ["CMD", "curl", "-fsS", "--max-time", "5", "-o", "/dev/null", `http://localhost:${c.app.port}/`],
        interval: "3s", timeout: "6s", retries: 15, start_period: "120s",
    };
}

export interface AppSecrets {
    dbPassword: string;
    secretKey: string;
    redisPassword: string;
    adminPassword: string;
}


/**
 * Environment of the Paperless instance on `node`. Every instance shares Redis and the secret key.
 * With pgactive each talks to its own node's database; with Patroni to the primary through the
 * node's HAProxy. Always over verified TLS. Only the singleton consumes, schedules and
 * creates the admin account. Pure.
 */
export function paperlessEnv(c: ClusterConfig, node: NodeSpec, s: AppSecrets): Record<string, string> {
    const singleton = node.name === c.singleton.name;
    const env: Record<string, string> = {
        PAPERLESS_REDIS: `redis://:${s.redisPassword}@${hostPort(c.redis.clusterAddress, c.app.redisPort)}/0`,
        PAPERLESS_DBENGINE: "postgresql",
        ...databaseRoute(c, node),
        PAPERLESS_DBNAME: c.database.name,
        PAPERLESS_DBUSER: c.database.user,
        PAPERLESS_DBPASS: s.dbPassword,
        PAPERLESS_SECRET_KEY: s.secretKey,
        PAPERLESS_PORT: String(c.app.port),
        PAPERLESS_TIME_ZONE: c.app.timeZone,
        PAPERLESS_OCR_LANGUAGE: c.app.ocrLanguage,
        PAPERLESS_DATA_DIR: CONTAINER.data,
        PAPERLESS_MEDIA_ROOT: CONTAINER.media,
        PAPERLESS_CONSUMPTION_DIR: CONTAINER.consume,
        PAPERLESS_HA_NODE: node.name,
        PAPERLESS_HA_ROLE: singleton ? "singleton" : "replica",
        ...(c.app.url ? { PAPERLESS_URL: c.app.url } : {}),
        ...c.app.env,
    };
    if (singleton) {
        env.PAPERLESS_ADMIN_USER = c.app.adminUser;
        env.PAPERLESS_ADMIN_PASSWORD = s.adminPassword;
        env.PAPERLESS_ADMIN_MAIL = c.app.adminEmail;
    } else {
        env.PAPERLESS_CONSUMER_DISABLE = "1";
    }
    return env;
}

/** How an instance reaches the database; always TLS where it leaves the node. */
export function databaseRoute(c: ClusterConfig, node: NodeSpec): Record<string, string> {
    const tls = { PAPERLESS_DBSSLMODE: "verify-full", PAPERLESS_DBSSLROOTCERT: CONTAINER.caCert };
    if (c.topology === "swarm") {
        // The node's PgBouncer on loopback; it speaks TLS onward to the leader.
        return { PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: String(c.swarm.pgbouncerPort), PAPERLESS_DBSSLMODE: "disable" };
    }
    if (c.database.engine === "patroni") {
        // The node's own HAProxy forwards to the primary; read-write guards against a stale route.
        return { PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: String(c.database.patroni.routerPort), PGTARGETSESSIONATTRS: "read-write", ...tls };
    }
    return { PAPERLESS_DBHOST: node.clusterAddress, PAPERLESS_DBPORT: String(c.database.port), ...tls };
}

/** Variables that carry a secret, and the Docker secret each is read from in swarm. */
export const SECRET_ENV: Record<string, string> = {
    PAPERLESS_REDIS: "paperless_redis_url",
    PAPERLESS_DBPASS: "paperless_db_password",
    PAPERLESS_SECRET_KEY: "paperless_secret_key",
    PAPERLESS_ADMIN_PASSWORD: "paperless_admin_password",
};

/**
 * The environment with every secret replaced by its `_FILE` twin pointing into /run/secrets
 * (Paperless's image reads `PAPERLESS_*_FILE`). Pure.
 */
export function withSecretFiles(env: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
        if (k in SECRET_ENV) out[`${k}_FILE`] = `/run/secrets/${SECRET_ENV[k]}`;
        else out[k] = v;
    }
    return out;
}

/** `KEY=value` lines, the form Docker's envs and --env-file take. */
export function envList(env: Record<string, string>): string[] {
    return Object.keys(env).sort().map((k) => `${k}=${env[k]}`);
}

/** Replaces the image's scheduler service on non-singleton nodes: celery beat must run once per cluster. */
export const SCHEDULER_DISABLED_RUN = `#!/command/with-contenv /usr/bin/bash
echo "[svc-scheduler] the scheduler runs on the singleton node only (paperless-ha)"
s6-svc -Od .
exit 0
`;

/** Redis config for the one shared instance; the password stays out of its command line. */
export function renderRedisConf(c: ClusterConfig, password: string): string {
    return [
        `bind ${c.redis.clusterAddress} 127.0.0.1`,
        `port ${c.app.redisPort}`,
        "protected-mode yes",
        `requirepass ${password}`,
        "appendonly yes",
        "dir /data",
        "",
    ].join("\n");
}
