import { ClusterConfig, hostPort, NodeSpec } from "../config";

/** The name Sentinel monitors the master by. */
export const REDIS_MASTER_NAME = "paperless";
/** The ACL user HAProxy's check logs in as: it may ask a Redis its role, nothing else. */
export const REDIS_CHECK_USER = "paperless-ha-check";
/** Debian's templated units, instance `paperless-ha`. */
export const REDIS_UNIT = "redis-server@paperless-ha";
export const SENTINEL_UNIT = "redis-sentinel@paperless-ha";
/** Our settings, out of the units' writable paths: a CONFIG REWRITE (Sentinel sends one after each SLAVEOF) fails there, so Redis's role stays runtime state that the role helper decides again at every start. */
export const REDIS_CONF_DIR = "/etc/paperless-ha/redis";
/** Sentinel rewrites its own file with what it learns: it lives where the unit lets it write. */
export const SENTINEL_STATE_FILE = "/etc/redis/sentinel-paperless-ha.conf";
/** Redis's append-only files, under /var/lib/redis. */
export const REDIS_AOF_DIR = "paperless-ha-aof";
/** Written by the role helper before each start: `replicaof` the current master, or nothing. */
export const REDIS_ROLE_FILE = "/run/redis-paperless-ha/role.conf";
export const ROLE_HELPER = "/usr/local/lib/paperless-ha/redis-role";

/**
 * A master that has not answered Sentinel for this long is down. Short, for a LAN: with Sentinel's
 * election and HAProxy's next check, Paperless reaches a new master a few seconds later.
 */
export const SENTINEL_DOWN_AFTER_MS = 3000;

export interface RedisSecrets {
    /** The default user's: Paperless, the replicas and Sentinel log in with it. */
    password: string;
    /** Sentinel's own, between Sentinels and for whoever asks one. */
    sentinelPassword: string;
    /** HAProxy's check user's. */
    checkPassword: string;
}

/** Every data node runs a Redis; Sentinel runs on every node, so the arbiter votes too. */
export const redisNodes = (c: ClusterConfig) => c.dataNodes;
export const sentinelNodes = (c: ClusterConfig) => c.nodes;
/** The port of `node`'s Redis, for the scripts that ask it; empty where none runs (the arbiter). */
export const redisPortOn = (c: ClusterConfig, node: NodeSpec) => (redisNodes(c).some((r) => r.name === node.name) ? String(c.app.redisPort) : "");
/** Sentinels that must agree a master is down: a majority, so a minority side of a split never fails over. */
export const sentinelQuorum = (c: ClusterConfig) => Math.floor(sentinelNodes(c).length / 2) + 1;

/**
 * A master with no replica in reach takes no writes, so the minority side of a split cannot
 * collect writes a failover would drop. Only with three Redis or more: with two, losing one would
 * stop the other.
 */
export const minReplicasToWrite = (c: ClusterConfig) => (redisNodes(c).length >= 3 ? 1 : 0);

/** Generated alphanumeric; HAProxy's check sends it inline and Redis's files take it bare, so nothing that would end or escape a word. */
const SAFE_SECRET = /^[\w.~-]+$/;

export const checkSecret = (what: string, value: string) => {
    if (!SAFE_SECRET.test(value)) throw new Error(`${what} must be letters, digits or . _ ~ -`);
    return value;
};

/** redis.conf of a data node's Redis: replicas follow whichever master Sentinel names. Pure. */
export function renderRedisConf(c: ClusterConfig, node: NodeSpec, s: RedisSecrets): string {
    const password = checkSecret("the Redis password", s.password);
    return [
        "# Managed by paperless-ha; local edits are overwritten.",
        `bind ${node.clusterAddress} 127.0.0.1`,
        `port ${c.app.redisPort}`,
        "protected-mode yes",
        `pidfile /run/redis-paperless-ha/redis-server.pid`,
        'logfile ""',
        "dir /var/lib/redis",
        "dbfilename paperless-ha.rdb",
        "appendonly yes",
        `appenddirname ${REDIS_AOF_DIR}`,
        `requirepass ${password}`,
        `masterauth ${password}`,
        `user ${REDIS_CHECK_USER} on >${checkSecret("the Redis check password", s.checkPassword)} -@all +ping +role`,
        // What the others reach it by, whatever address the packets leave from.
        `replica-announce-ip ${node.clusterAddress}`,
        `min-replicas-to-write ${minReplicasToWrite(c)}`,
        "min-replicas-max-lag 10",
        // A replica (re)joining is served at once rather than 5 s later, as small as the data is.
        "repl-diskless-sync-delay 0",
        `include ${REDIS_ROLE_FILE}`,
        "",
    ].join("\n");
}

/**
 * Sentinel's config, as Sentinel first reads it: `@MASTER@` is the current master's address,
 * which the host step fills in (asked of the other Sentinels, else the `redis` node's). Sentinel
 * adds what it learns (replicas, other Sentinels, epochs) to the file itself. Pure.
 */
export function renderSentinelConf(c: ClusterConfig, node: NodeSpec, s: RedisSecrets): string {
    const m = REDIS_MASTER_NAME;
    return [
        "# Managed by paperless-ha; Sentinel appends its state below.",
        `bind ${node.clusterAddress} 127.0.0.1`,
        `port ${c.app.sentinelPort}`,
        "protected-mode yes",
        'logfile ""',
        "pidfile /run/sentinel-paperless-ha/redis-sentinel.pid",
        `requirepass ${checkSecret("the Sentinel password", s.sentinelPassword)}`,
        `sentinel sentinel-pass ${s.sentinelPassword}`,
        `sentinel announce-ip ${node.clusterAddress}`,
        "sentinel resolve-hostnames no",
        `sentinel monitor ${m} @MASTER@ ${c.app.redisPort} ${sentinelQuorum(c)}`,
        `sentinel auth-pass ${m} ${checkSecret("the Redis password", s.password)}`,
        `sentinel down-after-milliseconds ${m} ${SENTINEL_DOWN_AFTER_MS}`,
        // A failover that did not finish (votes split between Sentinels) is tried again after twice this.
        `sentinel failover-timeout ${m} 10000`,
        `sentinel parallel-syncs ${m} 1`,
        "",
    ].join("\n");
}

/**
 * What the role helper reads (one `key value` per line, never sourced): this node's address, the
 * `redis` node's (the master of a new cluster), where Sentinel keeps its state and its password,
 * and every Sentinel. Pure.
 */
export function renderRoleConf(c: ClusterConfig, node: NodeSpec): string {
    return [
        `name ${REDIS_MASTER_NAME}`,
        `self ${node.clusterAddress}`,
        `port ${c.app.redisPort}`,
        `first ${c.redis.clusterAddress}`,
        `state ${SENTINEL_STATE_FILE}`,
        `password ${REDIS_CONF_DIR}/sentinel.pass`,
        ...sentinelNodes(c).map((n) => `sentinel ${n.clusterAddress} ${c.app.sentinelPort}${n.name === node.name ? " local" : ""}`),
        "",
    ].join("\n");
}

/** Drop-in for Debian's templated Redis unit: our config, and the role decided before each start. Pure. */
export function renderRedisDropIn(): string {
    return [
        "# Managed by paperless-ha.",
        "[Service]",
        // `+`: as root, outside the unit's sandbox, which lets Redis itself run nothing but redis-server.
        `ExecStartPre=+${ROLE_HELPER} ${REDIS_CONF_DIR}/role.conf ${REDIS_ROLE_FILE}`,
        "ExecStart=",
        `ExecStart=/usr/bin/redis-server ${REDIS_CONF_DIR}/redis.conf --supervised systemd --daemonize no`,
        "",
    ].join("\n");
}

/** Every Redis, as HAProxy's route lists them (the check picks the master). */
export const redisServers = (c: ClusterConfig) => redisNodes(c).map((n) => ({ name: n.name, address: hostPort(n.clusterAddress, c.app.redisPort) }));
