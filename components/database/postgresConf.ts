import { isIP } from "node:net";
import { ClusterConfig, NodeSpec } from "../config";
import { hasControlChars, PG_SETTING } from "../config/rules";

export type PgValue = string | number | boolean;

/** Where each node keeps the copies of its certificate that the postgres user can read. */
export const PG_TLS_DIR = "/var/lib/postgresql/paperless-ha-tls";

/** postgresql.conf settings for one node, user settings last. Pure. */
export function postgresSettings(c: ClusterConfig, node: NodeSpec): Record<string, PgValue> {
    const maxNodes = c.database.pgactive.maxNodes;
    return {
        listen_addresses: `${node.clusterAddress},localhost`,
        port: c.database.port,
        max_connections: 200,
        password_encryption: "scram-sha-256",
        ssl: true,
        ssl_cert_file: `${PG_TLS_DIR}/node.crt`,
        ssl_key_file: `${PG_TLS_DIR}/node.key`,
        ssl_ca_file: `${PG_TLS_DIR}/ca.crt`,
        ssl_min_protocol_version: "TLSv1.2",
        // Logical decoding and commit timestamps are what pgactive replicates and resolves conflicts with.
        wal_level: "logical",
        track_commit_timestamp: true,
        shared_preload_libraries: "pgactive",
        max_worker_processes: Math.max(16, 4 * maxNodes),
        max_replication_slots: Math.max(10, 2 * maxNodes + 4),
        max_wal_senders: Math.max(10, 2 * maxNodes + 4),
        "pgactive.max_nodes": maxNodes,
        // Django migrations run on one node; their DDL must reach the others.
        "pgactive.skip_ddl_replication": false,
        "pgactive.log_conflicts_to_table": true,
        shared_buffers: "256MB",
        effective_cache_size: "1GB",
        maintenance_work_mem: "64MB",
        ...c.database.settings,
    };
}

function pgLiteral(v: PgValue): string {
    if (typeof v === "boolean") return v ? "on" : "off";
    if (typeof v === "number") return String(v);
    // Inside quotes postgresql.conf reads backslash escapes too; a value is one line.
    if (hasControlChars(v)) throw new Error(`a postgresql.conf value cannot hold control characters: ${JSON.stringify(v)}`);
    return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

export function renderPostgresConf(settings: Record<string, PgValue>): string {
    for (const k of Object.keys(settings)) if (!PG_SETTING.test(k)) throw new Error(`'${k}' is not a PostgreSQL setting name`);
    return "# Managed by paperless-ha; local edits are overwritten.\n" +
        Object.entries(settings).map(([k, v]) => `${k} = ${pgLiteral(v)}`).join("\n") + "\n";
}

const hostMask = (ip: string) => (isIP(ip) === 6 ? `${ip}/128` : `${ip}/32`);

/** pg_hba.conf: local peer auth, and TLS + SCRAM from cluster addresses only. Pure. */
export function renderPgHba(c: ClusterConfig): string {
    const { name: db, user, replicationUser: repl } = c.database;
    const lines = [
        "# Managed by paperless-ha; local edits are overwritten.",
        "local   all          postgres                 peer",
        "local   all          all                      peer",
        "hostssl all          all         127.0.0.1/32 scram-sha-256",
        "hostssl all          all         ::1/128      scram-sha-256",
    ];
    for (const n of c.dataNodes) {
        const src = hostMask(n.clusterAddress);
        lines.push(`hostssl ${db} ${user} ${src} scram-sha-256`);
        lines.push(`hostssl ${db} ${repl} ${src} scram-sha-256`);
        lines.push(`hostssl replication ${repl} ${src} scram-sha-256`);
    }
    return lines.join("\n") + "\n";
}

/** The DSN other nodes reach this node's database with; the password comes from ~postgres/.pgpass. */
export function nodeDsn(c: ClusterConfig, node: NodeSpec): string {
    return [
        `host=${node.clusterAddress}`,
        `port=${c.database.port}`,
        `dbname=${c.database.name}`,
        `user=${c.database.replicationUser}`,
        "sslmode=verify-full",
        `sslrootcert=${PG_TLS_DIR}/ca.crt`,
    ].join(" ");
}
