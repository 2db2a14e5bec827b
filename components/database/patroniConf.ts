import { isIP } from "node:net";
import { stringify } from "yaml";
import { ClusterConfig, hostPort, NodeSpec } from "../config";
import { PG_TLS_DIR } from "./postgresConf";

/** etcd runs on every node (the arbiter too), so three hosts always make a quorum. */
export const ETCD_TLS_DIR = "/etc/etcd/paperless-ha-tls";
export const PATRONI_DATA_DIR = (v: string) => `/var/lib/postgresql/${v}/paperless-ha`;
export const REPLICATION_USER = "replicator";
/** The one user of Patroni's REST API for unsafe methods (patronictl's switchover, reload, config). */
export const REST_API_USER = "paperless-ha";
/** Patroni's etcd user: it reads and writes its own cluster's keys and nothing else. */
export const ETCD_PATRONI_USER = "patroni";
/** Where Patroni keeps a cluster's keys in etcd (its default namespace, then the scope). */
export const etcdPatroniPrefix = (c: ClusterConfig) => `/service/${c.database.patroni.scope}/`;
/** Where the deploy steps keep etcd's root certificate on a member's host: root's alone. */
export const ETCD_ROOT_DIR = "/etc/paperless-ha/etcd-root";

export const etcdUrl = (ip: string, port: number) => `https://${hostPort(ip, port)}`;

/**
 * One etcd member's settings under etcd's own names, which are both its config-file keys and, as
 * ETCD_*, its environment; TLS (between peers and for clients, both certificate-verified) apart,
 * since a config file nests it. Pure.
 */
function etcdMember(c: ClusterConfig, node: NodeSpec, members: NodeSpec[], tlsDir: string, dataDir: string) {
    return {
        settings: {
            name: node.name,
            "data-dir": dataDir,
            "listen-peer-urls": etcdUrl(node.clusterAddress, 2380),
            "listen-client-urls": `${etcdUrl(node.clusterAddress, 2379)},https://127.0.0.1:2379`,
            "initial-advertise-peer-urls": etcdUrl(node.clusterAddress, 2380),
            "advertise-client-urls": etcdUrl(node.clusterAddress, 2379),
            "initial-cluster": members.map((n) => `${n.name}=${etcdUrl(n.clusterAddress, 2380)}`).join(","),
            "initial-cluster-state": "new",
            "initial-cluster-token": `paperless-ha-${c.database.patroni.scope}`,
            // A member back from a network cut asks before campaigning, instead of forcing an election
            // with its raised term (which can cost Patroni's leader its lease).
            "pre-vote": true,
        },
        tls: { "cert-file": `${tlsDir}/node.crt`, "key-file": `${tlsDir}/node.key`, "trusted-ca-file": `${tlsDir}/ca.crt`, "client-cert-auth": true },
    };
}

/** /etc/default/etcd for one member on a host (classic: every node is a member). Pure. */
export function renderEtcdEnv(c: ClusterConfig, node: NodeSpec): string {
    const { settings, tls } = etcdMember(c, node, c.nodes, ETCD_TLS_DIR, "/var/lib/etcd/paperless-ha");
    const peerTls = Object.fromEntries(Object.entries(tls).map(([k, v]) => [`peer-${k}`, v]));
    return Object.entries({ ...settings, ...tls, ...peerTls })
        .map(([k, v]) => `ETCD_${k.toUpperCase().replace(/-/g, "_")}="${v}"`).join("\n") + "\n";
}

/**
 * etcd's config file for one swarm member (`etcd --config-file`; it then ignores flags and
 * environment). It lives on the host, not in the service, so a member joining at a new address
 * changes no other member's service. The host step turns `new` into `existing` for a member that
 * joins a running cluster. Pure.
 */
export function etcdConfigFile(c: ClusterConfig, node: NodeSpec, members: NodeSpec[], tlsDir: string, dataDir: string): string {
    const { settings, tls } = etcdMember(c, node, members, tlsDir, dataDir);
    return stringify({
        ...settings,
        "client-transport-security": tls,
        "peer-transport-security": { ...tls },
        // On by default as flags, off in a config file of etcd 3.4: Patroni talks to etcd through the gateway.
        "enable-grpc-gateway": true,
        "strict-reconfig-check": true,
    }, { lineWidth: 0 });
}

/** Where a node's Patroni REST API listens and is reached. */
export const restAddress = (c: ClusterConfig, node: NodeSpec) => hostPort(node.clusterAddress, c.database.patroni.restApiPort);

export interface PatroniSecrets {
    superuserPassword: string;
    replicationPassword: string;
    restApiPassword: string;
    etcdPassword: string;
}

/** Where Patroni keeps things and who else may log in: on a host (classic) or in a container (swarm). */
export interface PatroniLayout {
    dataDir: string;
    pgpass: string;
    /** The etcd members Patroni talks to; absent in swarm, where the entrypoint reads them from a host file. */
    etcdNodes?: NodeSpec[];
    /** Written into the file (classic, a 0600 file); absent in swarm, where the entrypoint adds them from Docker secrets. */
    passwords?: PatroniSecrets;
    /** More roles that log in to their own database from any node, besides the application's. */
    logins: { database: string; user: string }[];
    /** Where remote logins may come from; undefined: each node's address. */
    hbaSources?: string[];
}

/** One host network per node, as pg_hba.conf lists a login's sources. Pure. */
export const nodeHbaSources = (nodes: NodeSpec[]) => nodes.map((n) => `${n.clusterAddress}/${isIP(n.clusterAddress) === 6 ? 128 : 32}`);

export function classicLayout(c: ClusterConfig, passwords: PatroniSecrets): PatroniLayout {
    return {
        dataDir: PATRONI_DATA_DIR(c.database.postgresVersion),
        pgpass: "/var/lib/postgresql/.pgpass.patroni",
        etcdNodes: c.nodes,
        passwords,
        logins: [],
    };
}

/**
 * Patroni's cluster-wide settings that the stack config decides: the lease timing and synchronous
 * replication. Patroni takes them from its own file only when it bootstraps the cluster; after that
 * they live in etcd, where the dcs step writes them when they change. Pure.
 */
export function dcsSettings(c: ClusterConfig): Record<string, number | boolean> {
    const p = c.database.patroni;
    return {
        ttl: p.ttl,
        loop_wait: p.loopWait,
        retry_timeout: p.retryTimeout,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: p.synchronous,
        // Strict mode stops writes without a synchronous standby: only safe with two standbys.
        synchronous_mode_strict: p.synchronous && c.dataNodes.length >= 3,
    };
}

/** dcsSettings as `patronictl edit-config --set` takes them: `key=value`, one per line. Pure. */
export const renderDcsSettings = (c: ClusterConfig): string =>
    Object.entries(dcsSettings(c)).map(([k, v]) => `${k}=${v}`).join("\n");

/** Patroni's config for one node, as data. Pure. */
export function patroniConfig(c: ClusterConfig, node: NodeSpec, layout: PatroniLayout): Record<string, unknown> {
    const p = c.database.patroni;
    const v = c.database.postgresVersion;
    const s = layout.passwords;
    const pw = (password: string | undefined) => (password === undefined ? {} : { password });
    const nodeCidrs = layout.hbaSources ?? nodeHbaSources(c.dataNodes);
    const logins = [{ database: c.database.name, user: c.database.user }, ...layout.logins];
    const tls = { certfile: `${PG_TLS_DIR}/node.crt`, keyfile: `${PG_TLS_DIR}/node.key`, cafile: `${PG_TLS_DIR}/ca.crt` };
    const pgHba = [
        "local all all peer",
        "hostssl all all 127.0.0.1/32 scram-sha-256",
        // Patroni reads a replica's own timeline over a local replication connection; without it the
        // REST API reports none and logs a failure for every health check.
        `hostssl replication ${REPLICATION_USER} 127.0.0.1/32 scram-sha-256`,
        ...nodeCidrs.flatMap((cidr) => [
            `hostssl replication ${REPLICATION_USER} ${cidr} scram-sha-256`,
            `hostssl all postgres ${cidr} scram-sha-256`,
            ...logins.map((l) => `hostssl ${l.database} ${l.user} ${cidr} scram-sha-256`),
        ]),
    ];
    return {
        scope: p.scope,
        name: node.name,
        restapi: {
            listen: restAddress(c, node),
            connect_address: restAddress(c, node),
            ...tls,
            // Reads (HAProxy's /primary checks, /health) stay open to the nodes the firewall admits.
            // Unsafe methods (switchover, restart, reload, config) need a certificate of the
            // cluster CA, the password, and to come from a member's address, which Patroni reads
            // from etcd, so a node joining changes no config.
            verify_client: "optional",
            allowlist_include_members: true,
            authentication: { username: REST_API_USER, ...pw(s?.restApiPassword) },
        },
        ctl: { insecure: false, cacert: tls.cafile, certfile: tls.certfile, keyfile: tls.keyfile },
        etcd3: {
            ...(layout.etcdNodes ? { hosts: layout.etcdNodes.map((n) => hostPort(n.clusterAddress, 2379)) } : {}),
            protocol: "https",
            cacert: tls.cafile,
            // Its own certificate, which names no etcd user (see ClusterPki), and its user's password.
            cert: `${PG_TLS_DIR}/etcd-client.crt`,
            key: `${PG_TLS_DIR}/etcd-client.key`,
            username: ETCD_PATRONI_USER,
            ...pw(s?.etcdPassword),
        },
        bootstrap: {
            dcs: {
                ...dcsSettings(c),
                postgresql: {
                    use_pg_rewind: true,
                    use_slots: true,
                    parameters: {
                        wal_level: "replica",
                        hot_standby: "on",
                        wal_log_hints: "on",
                        max_wal_senders: 10,
                        max_replication_slots: 10,
                        max_connections: 200,
                        password_encryption: "scram-sha-256",
                    },
                },
            },
            initdb: [{ encoding: "UTF8" }, "data-checksums"],
            pg_hba: pgHba,
        },
        postgresql: {
            listen: `${node.clusterAddress},127.0.0.1:${c.database.port}`,
            connect_address: hostPort(node.clusterAddress, c.database.port),
            data_dir: layout.dataDir,
            bin_dir: `/usr/lib/postgresql/${v}/bin`,
            pgpass: layout.pgpass,
            // What pg_rewind would drop was never on the new timeline; when it fails, clone again.
            remove_data_directory_on_rewind_failure: true,
            // A new replica's clone starts at once instead of waiting out the leader's spread
            // checkpoint, which took over a minute on an idle cluster.
            basebackup: [{ checkpoint: "fast" }],
            authentication: {
                superuser: { username: "postgres", ...pw(s?.superuserPassword) },
                replication: { username: REPLICATION_USER, ...pw(s?.replicationPassword), sslmode: "verify-full", sslrootcert: tls.cafile },
                rewind: { username: "postgres", ...pw(s?.superuserPassword), sslmode: "verify-full", sslrootcert: tls.cafile },
            },
            parameters: {
                ssl: "on",
                ssl_cert_file: tls.certfile,
                ssl_key_file: tls.keyfile,
                ssl_ca_file: tls.cafile,
                ssl_min_protocol_version: "TLSv1.2",
                // After a failover a standby asks the new primary for WAL again within a second (the
                // default, 5 s, held commits that long in strict synchronous mode).
                wal_retrieve_retry_interval: "1s",
                unix_socket_directories: "/var/run/postgresql",
                ...Object.fromEntries(Object.entries(c.database.settings).map(([k, val]) => [k, String(val)])),
            },
            pg_hba: pgHba,
        },
        tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
    };
}

export function renderPatroniYml(config: Record<string, unknown>): string {
    return stringify(config, { lineWidth: 0 });
}

/** libpq reaches whichever node is the writable primary: every node listed, read-write required. */
export function primaryConninfo(c: ClusterConfig): { hosts: string; port: string } {
    return { hosts: c.dataNodes.map((n) => n.clusterAddress).join(","), port: String(c.database.port) };
}
