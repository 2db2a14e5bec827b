import { HOST_CA_CERT, HOST_CA_DIR, HOST_TLS_DIR } from "../host/paths";
import { ClusterConfig, hostPort } from "../config";
import { ServiceSpec, StackSpec } from "../swarm/stackFile";
import { nodeHbaSources, PatroniLayout } from "./patroniConf";

/** The swarm stack of the database: its services, and their containers, are named after it. */
export const DB_STACK = "paperless-db";
/** A node's Patroni service; its task's container is named `<service>.<slot>.<task id>`. */
export const patroniService = (node: string) => `${DB_STACK}_patroni-${node}`;

/** A `docker ps --filter name=` for the container of a node's Patroni service on swarm (patronictl runs there). */
export const patroniContainer = (node: string) => `^${patroniService(node)}\\.`;

/** Where a node's Patroni runs as a swarm service, its name (status and metrics find its container by it); none in classic. */
export const nodeDbService = (c: Pick<ClusterConfig, "topology">, node: string) => (c.topology === "swarm" ? patroniService(node) : "");

/** Where each swarm host keeps the database's files; bind-mounted into the containers. */
export const SWARM_DIRS = {
    /** The node's certificate and key: only for what serves TLS (etcd, Patroni). */
    tls: HOST_TLS_DIR,
    postgres: "/srv/paperless-ha/postgres",
    etcd: "/srv/paperless-ha/etcd",
    /**
     * etcd's config file, and the lists Patroni's entrypoint completes its config with: the etcd
     * endpoints and the nodes pg_hba admits (see swarm-etcd.sh).
     */
    etcdConf: "/etc/paperless-ha/etcd",
} as const;

/**
 * Stands for each node's address in the swarm's pg_hba lines: Patroni's entrypoint writes one line
 * per node from a host file, so the service's config names no node.
 */
export const HBA_NODE = "NODE_CIDR";

/** Patroni's etcd endpoints, one `host:port` a line: read from a host file at start, so not part of any service. Pure. */
export const etcdHostsFile = (c: ClusterConfig) => c.managers.map((m) => `${hostPort(m.clusterAddress, 2379)}\n`).join("");

/** The networks (one host each) pg_hba admits remote logins from, one a line: every node. Pure. */
export const hbaSourcesFile = (c: ClusterConfig) => nodeHbaSources(c.nodes).map((s) => `${s}\n`).join("");

/** Roles the swarm topology adds beside the application's. */
export const METRICS_USER = "metrics";

/**
 * Patroni inside its container: data on the host's bind mount, passwords from Docker secrets, the
 * etcd endpoints from a host file (the entrypoint exports them), so that no address of another node
 * is in any Patroni's config.
 */
export function swarmLayout(c: ClusterConfig): PatroniLayout {
    return {
        dataDir: "/var/lib/postgresql/paperless-ha/data",
        pgpass: "/tmp/pgpass.patroni",
        logins: [{ database: c.storage.seaweedfs.database, user: c.storage.seaweedfs.database }],
        // A Docker config is immutable: listing nodes here would restart every Patroni at once when
        // one joins. The entrypoint expands each line per node from a host file the host step
        // rewrites (and has the running Patroni reload) when the node list changes.
        hbaSources: [HBA_NODE],
    };
}

/** pgbouncer.ini: loopback only, session pooling (Django keeps connections), TLS to the primary. Pure. */
export function renderPgbouncerIni(c: ClusterConfig): string {
    const db = c.database;
    return [
        "[databases]",
        `${db.name} = host=127.0.0.1 port=${db.patroni.routerPort} dbname=${db.name}`,
        "",
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${c.swarm.pgbouncerPort}`,
        "unix_socket_dir =",
        "auth_type = scram-sha-256",
        "auth_file = /run/secrets/pgbouncer_userlist",
        "pool_mode = session",
        "max_client_conn = 500",
        "default_pool_size = 40",
        // The route ends at whichever node is primary, so the name checked would vary: check the CA.
        "server_tls_sslmode = verify-ca",
        `server_tls_ca_file = ${HOST_CA_CERT}`,
        "ignore_startup_parameters = extra_float_digits,options",
        // After a failover the route answers again within seconds; the default waits 15 s to retry.
        "server_login_retry = 1",
        "server_connect_timeout = 3",
        "",
    ].join("\n");
}

/** PgBouncer's auth file: the application role with its password (a Docker secret). Pure. */
export function renderPgbouncerUserlist(c: ClusterConfig, appPassword: string): string {
    return `"${c.database.user}" "${appPassword}"\n`;
}

const tlsMount = `${SWARM_DIRS.tls}:${SWARM_DIRS.tls}:ro`;
/** What only verifies gets the CA, not the node's key. */
const caMount = `${HOST_CA_DIR}:${HOST_CA_DIR}:ro`;
const etcdConfMount = `${SWARM_DIRS.etcdConf}:${SWARM_DIRS.etcdConf}:ro`;

/**
 * The database stack: etcd on the managers, one Patroni service pinned to each node, and on every
 * node a router (HAProxy on Patroni's `/primary`), PgBouncer behind it and postgres_exporter. Pure.
 */
export function patroniStack(c: ClusterConfig, configs: Record<string, string>, secrets: Record<string, string>): StackSpec {
    const img = c.swarm.images;
    const services: Record<string, ServiceSpec> = {};
    for (const m of c.managers) {
        services[`etcd-${m.name}`] = {
            image: img.etcd,
            entrypoint: ["etcd"],
            // Nothing here names an address: a manager replaced at a new one restarts no other member.
            command: ["--config-file", `${SWARM_DIRS.etcdConf}/etcd.yml`],
            volumes: [`${SWARM_DIRS.etcd}:/var/lib/etcd`, tlsMount, etcdConfMount],
            placement: { node: m },
            stopGracePeriod: "30s",
        };
    }
    for (const n of c.nodes) {
        services[`patroni-${n.name}`] = {
            image: img.patroni,
            command: ["/etc/patroni/base.yml"],
            volumes: [`${SWARM_DIRS.postgres}:/var/lib/postgresql/paperless-ha`, tlsMount, etcdConfMount],
            configs: [{ source: `patroni-${n.name}`, target: "/etc/patroni/base.yml" }],
            secrets: [
                { source: "pg_superuser_password", target: "pg_superuser_password", mode: 0o400 },
                { source: "pg_replication_password", target: "pg_replication_password", mode: 0o400 },
                { source: "patroni_api_password", target: "patroni_api_password", mode: 0o400 },
                { source: "etcd_patroni_password", target: "etcd_patroni_password", mode: 0o400 },
                { source: "etcd_client_cert", target: "etcd_client_cert", mode: 0o400 },
                { source: "etcd_client_key", target: "etcd_client_key", mode: 0o400 },
            ],
            placement: { node: n },
            // A clean shutdown hands the leader key over instead of waiting for its lease to expire.
            stopGracePeriod: "60s",
        };
    }
    services.router = {
        image: img.haproxy,
        entrypoint: ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"],
        volumes: [caMount],
        configs: [{ source: "router", target: "/usr/local/etc/haproxy/haproxy.cfg" }],
        placement: { global: true },
    };
    services.pgbouncer = {
        image: img.pgbouncer,
        entrypoint: ["pgbouncer", "/etc/pgbouncer/pgbouncer.ini"],
        volumes: [caMount],
        configs: [{ source: "pgbouncer", target: "/etc/pgbouncer/pgbouncer.ini" }],
        secrets: [{ source: "pgbouncer_userlist", target: "pgbouncer_userlist" }],
        placement: { global: true },
    };
    services.exporter = {
        image: img.postgresExporter,
        entrypoint: ["postgres_exporter"],
        command: [`--web.listen-address=:${c.swarm.exporterPort}`],
        environment: {
            DATA_SOURCE_URI: `127.0.0.1:${c.database.port}/postgres?sslmode=verify-full&sslrootcert=${HOST_CA_CERT}`,
            DATA_SOURCE_USER: METRICS_USER,
            DATA_SOURCE_PASS_FILE: "/run/secrets/pg_metrics_password",
        },
        volumes: [caMount],
        secrets: [{ source: "pg_metrics_password", target: "pg_metrics_password" }],
        placement: { global: true },
    };
    return { services, secrets, configs };
}
