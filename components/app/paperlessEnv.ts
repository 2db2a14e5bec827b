import { bracketed, ClusterConfig, edgeNames, NodeSpec } from "../config";

/** Paths inside the Paperless image. */
export const CONTAINER = {
    data: "/usr/src/paperless/data",
    media: "/usr/src/paperless/media",
    consume: "/usr/src/paperless/consume",
    export: "/usr/src/paperless/export",
    scratch: "/usr/src/paperless/scratch",
    caCert: "/run/paperless-ha/ca.crt",
    secrets: "/run/secrets",
    src: "/usr/src/paperless/src",
} as const;

/**
 * What every instance shares through the cluster file system, by directory on the volume. An
 * upload lands in the scratch dir of the node that took the request and is consumed by a worker
 * on any node. The search index is not among them: whoosh takes one writer, and its lock (flock)
 * does not reach across GlusterFS clients, so each node keeps its own in its data dir.
 */
export const SHARED_MOUNTS = { media: CONTAINER.media, export: CONTAINER.export, scratch: CONTAINER.scratch } as const;

/** Paperless's scheduled tasks, each switched off by its documented `*_TASK_CRON=disable` setting. */
export const SCHEDULED_TASKS = [
    "PAPERLESS_EMAIL_TASK_CRON", "PAPERLESS_TRAIN_TASK_CRON", "PAPERLESS_INDEX_TASK_CRON",
    "PAPERLESS_SANITY_TASK_CRON", "PAPERLESS_EMPTY_TRASH_TASK_CRON", "PAPERLESS_WORKFLOW_SCHEDULED_TASK_CRON",
] as const;

/** Seconds between the singleton's scans of the consume dir: inotify does not see other nodes' writes to a network file system. */
export const CONSUMER_POLLING_SECONDS = 10;

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

/** Stand-ins for the secrets while rendering what carries only their file names. */
export const NO_SECRETS: AppSecrets = { dbPassword: "", secretKey: "", redisPassword: "", adminPassword: "" };


/** The URL origin of `host` through the edge (HAProxy), in the scheme and port it serves. */
function edgeOrigin(c: ClusterConfig, host: string): string {
    const [scheme, port, standard] = c.edge.tls ? ["https", c.edge.httpsPort, 443] : ["http", c.edge.httpPort, 80];
    return `${scheme}://${bracketed(host)}${port === standard ? "" : `:${port}`}`;
}

/** HAProxy in front of the app, in either topology. */
const behindEdge = (c: ClusterConfig) => c.edge.enabled;

/** Where users reach the cluster: the configured URL, else the first edge host name, else its virtual address. */
export function publicUrl(c: ClusterConfig): string | undefined {
    if (c.app.url) return c.app.url;
    const [name] = edgeNames(c.edge);
    return name && behindEdge(c) ? edgeOrigin(c, name) : undefined;
}

/** Origins a browser may sign in from besides the address it asked for (Django compares Origin with Host behind the proxy). */
export function trustedOrigins(c: ClusterConfig): string[] {
    const names = behindEdge(c) ? edgeNames(c.edge).map((h) => edgeOrigin(c, h)) : [];
    return [...new Set([...(c.app.url ? [new URL(c.app.url).origin] : []), ...names])];
}

/**
 * Environment of the Paperless instance on `node`, in Paperless's documented settings only, so the
 * published image and the local build both run it unchanged. Every instance shares the Redis
 * master and the secret key. Each reaches the database through its node's HAProxy: with pgactive the group's one
 * writer, with Patroni the primary. Always over verified TLS. Only the singleton consumes, has a schedule
 * and creates the admin account. Pure.
 */
export function paperlessEnv(c: ClusterConfig, node: NodeSpec, s: AppSecrets, route = databaseRoute(c)): Record<string, string> {
    const singleton = node.name === c.singleton.name;
    const url = publicUrl(c);
    const origins = trustedOrigins(c);
    const env: Record<string, string> = {
        // The node's HAProxy, to whichever Redis is the master.
        PAPERLESS_REDIS: `redis://:${s.redisPassword}@127.0.0.1:${c.app.redisRouterPort}/0`,
        PAPERLESS_DBENGINE: "postgresql",
        ...route,
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
        PAPERLESS_SCRATCH_DIR: CONTAINER.scratch,
        // The published image installs these tesseract languages at start when they are missing.
        PAPERLESS_OCR_LANGUAGES: c.app.ocrLanguage.split("+").map((l) => l.replace(/_/g, "-")).join(" "),
        // Only behind HAProxy, which sets the header: elsewhere a client could claim https itself.
        ...(behindEdge(c) && c.edge.tls ? { PAPERLESS_PROXY_SSL_HEADER: '["HTTP_X_FORWARDED_PROTO", "https"]' } : {}),
        ...(url ? { PAPERLESS_URL: url } : {}),
        ...(origins.length ? { PAPERLESS_CSRF_TRUSTED_ORIGINS: origins.join(",") } : {}),
        ...c.app.env,
    };
    if (singleton) {
        env.PAPERLESS_ADMIN_USER = c.app.adminUser;
        env.PAPERLESS_ADMIN_PASSWORD = s.adminPassword;
        env.PAPERLESS_ADMIN_MAIL = c.app.adminEmail;
        env.PAPERLESS_CONSUMER_POLLING = String(CONSUMER_POLLING_SECONDS);
    } else {
        env.PAPERLESS_CONSUMER_DISABLE = "1";
        // Celery beat still runs here, with nothing to schedule: one schedule per cluster.
        for (const task of SCHEDULED_TASKS) env[task] = "disable";
    }
    return env;
}

const TLS = { PAPERLESS_DBSSLMODE: "verify-full", PAPERLESS_DBSSLROOTCERT: CONTAINER.caCert };

/** How an instance reaches the database; always TLS where it leaves the node. */
export function databaseRoute(c: ClusterConfig): Record<string, string> {
    if (c.topology === "swarm") {
        // The node's PgBouncer on loopback; it speaks TLS onward to the leader.
        return { PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: String(c.swarm.pgbouncerPort), PAPERLESS_DBSSLMODE: "disable" };
    }
    if (c.database.engine === "patroni") {
        // The node's own HAProxy forwards to the primary; read-write guards against a stale route.
        return { PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: String(c.database.patroni.routerPort), PGTARGETSESSIONATTRS: "read-write", ...TLS };
    }
    // pgactive: the node's HAProxy forwards to the group's one writer.
    return { PAPERLESS_DBHOST: "127.0.0.1", PAPERLESS_DBPORT: String(c.database.pgactive.routerPort), ...TLS };
}

/** A node's own database, not the writer HAProxy picks: where pgactive's migrations seed the group. */
export const ownDatabaseRoute = (c: ClusterConfig, node: NodeSpec): Record<string, string> =>
    ({ PAPERLESS_DBHOST: node.clusterAddress, PAPERLESS_DBPORT: String(c.database.port), ...TLS });

/** Variables that carry a secret, and the file (a Docker secret in swarm) each is read from. */
export const SECRET_ENV: Record<string, string> = {
    PAPERLESS_REDIS: "paperless_redis_url",
    PAPERLESS_DBPASS: "paperless_db_password",
    PAPERLESS_SECRET_KEY: "paperless_secret_key",
    PAPERLESS_ADMIN_PASSWORD: "paperless_admin_password",
};

/**
 * The environment with every secret replaced by its `_FILE` twin pointing into /run/secrets
 * (Paperless's image reads `PAPERLESS_*_FILE`), and the secret files themselves. Pure.
 */
export function withSecretFiles(env: Record<string, string>): { env: Record<string, string>; files: Record<string, string> } {
    const out: Record<string, string> = {};
    const files: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) {
        if (k in SECRET_ENV) {
            out[`${k}_FILE`] = `${CONTAINER.secrets}/${SECRET_ENV[k]}`;
            files[`${CONTAINER.secrets}/${SECRET_ENV[k]}`] = v;
        } else out[k] = v;
    }
    return { env: out, files };
}

/**
 * The environment as a dotenv file that Paperless's settings load (PAPERLESS_CONFIGURATION_PATH):
 * every value single-quoted, so no character of it is read as syntax. Pure.
 */
export function renderDotenv(env: Record<string, string>): string {
    return Object.keys(env).sort().map((k) => `${k}='${env[k].replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'\n`).join("");
}

/** `KEY=value` lines, the form Docker's envs and --env-file take. */
export function envList(env: Record<string, string>): string[] {
    return Object.keys(env).sort().map((k) => `${k}=${env[k]}`);
}
