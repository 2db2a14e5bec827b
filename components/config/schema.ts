import { isIP } from "node:net";
import { z } from "zod";
import {
    dataDirProblem, DEB_PACKAGE, DJANGO_USER, EMAIL, GLUSTER_OPTION, isCalendar, isCidr, isHostKey, isHttpsUrl, isImageRef, LOGIN, pathProblem,
    PG_SETTING, SYSCTL_KEY, TIME_ZONE,
} from "./rules";

/** Config namespace: every key is `paperless-ha:<key>`. */
export const NAMESPACE = "paperless-ha";

const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const NODE_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$/;

const nonEmpty = (what: string) => z.string().trim().min(1, `${what} must not be empty`);
const port = z.number().int().min(1).max(65535);
/** A directory on the hosts the program owns: plain characters, never a system directory. */
const dataDir = (def: string) => z.string().superRefine((p, ctx) => {
    const bad = dataDirProblem(p);
    if (bad) ctx.addIssue({ code: "custom", message: bad });
}).default(def);
const image = (def: string) => z.string().refine(isImageRef, "must be a Docker image reference such as registry.example.com/name:tag").default(def);
/** A value written into a config file on the hosts: one line of printable characters. */
const line = z.string().regex(/^[\x20-\x7e]*$/, "must be printable ASCII on one line");

export const isAddress = (s: string): boolean => isIP(s) !== 0 || (HOSTNAME.test(s) && !/^[0-9.]+$/.test(s));

export const ROLES = ["singleton", "redis", "arbiter"] as const;
export type Role = (typeof ROLES)[number];

const nodeSchema = z.strictObject({
    /** Short host name, also the node's identity in resource names: lowercase, digits, dashes. */
    name: z.string().regex(NODE_NAME, "must be 1-32 lowercase letters, digits or dashes, starting with a letter"),
    /** Address the operator reaches over SSH and the Docker API: an IP or a DNS name. */
    address: z.string().refine(isAddress, "must be an IPv4/IPv6 address or a DNS host name"),
    /**
     * IP the nodes use among themselves (replication, storage, firewall rules); required when
     * `address` is a name. Default: `address` when it is an IP.
     */
    clusterAddress: z.string().refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address").optional(),
    /**
     * Stable slot 1..maxNodes; decides this node's primary-key residue in the database.
     * Default: position in the list + 1. Never change it on a running node.
     */
    id: z.number().int().min(1).optional(),
    /**
     * Pin roles: `singleton` (consumer, scheduler, migrations), `redis` (the first Redis master of a
     * new cluster), `arbiter` (storage witness and Sentinel only). Default: none; singleton and redis go to the first data node.
     */
    roles: z.array(z.enum(ROLES)).default([]),
    /**
     * The host's SSH key (`ssh-ed25519 AAAA…`, from its /etc/ssh/ssh_host_ed25519_key.pub or
     * `ssh-keyscan -t ed25519 ADDRESS`, checked on its console; ECDSA is taken too): every
     * connection is refused unless the host shows it. Required unless `ssh.trustOnFirstUse` is set.
     */
    hostKey: z.string().refine(isHostKey, "must be an SSH host public key such as 'ssh-ed25519 AAAAC3Nz…' (ed25519 or ECDSA)").optional(),
});

const sshSchema = z
    .strictObject({
        /** Login user; a non-root user needs password-less sudo. Default `root`. */
        user: z.string().regex(LOGIN, "must be a Unix login name").default("root"),
        /** SSH port. Default 22. */
        port: port.default(22),
        /** Private key file on the operator machine (`~/` expanded); or the secret `sshPrivateKey`, exactly one of the two. */
        privateKeyPath: nonEmpty("ssh.privateKeyPath").optional(),
        /**
         * Learn a node's host key from its first connection when `nodes[].hostKey` is not given,
         * keep it in the stack's state and refuse a host that later shows another (a node at a new
         * address is learned anew). Default false.
         */
        trustOnFirstUse: z.boolean().default(false),
        /**
         * How many times to retry dialling while a host boots (about five minutes at 60); a refused
         * host key is retried as often before the step fails. Default 60.
         */
        dialErrorLimit: z.number().int().min(1).default(60),
    })
    .prefault({});

/** sha256 of pgactive release archives whose source is known (upstream's tag archives). */
export const PGACTIVE_RELEASES: Record<string, string> = {
    "2.1.8": "d5065f6ea64ad3dcbe87ef55092e733d35e8171640c78b0110eba3f99f8c7d93",
};

/** The sha256 a pgactive source tarball is checked against: the configured one, else the known one of its release. Pure. */
export const pgactiveSourceSha256 = (p: { version: string; sourceSha256?: string }): string | undefined => p.sourceSha256 ?? PGACTIVE_RELEASES[p.version];

const pgactiveSchema = z
    .strictObject({
        /** `pgactive.max_nodes`; also the primary-key stride. Fixed for the life of the group. Default 4. */
        maxNodes: z.number().int().min(2).max(32).default(4),
        /** How pgactive gets onto the hosts: `source` (build a release tarball), `package` (apt), `none` (already there). */
        install: z.enum(["source", "package", "none"]).default("source"),
        /** apt package for `install: package` (from a repository you configure). */
        package: z.string().regex(DEB_PACKAGE, "must be a Debian package name").default("postgresql-15-pgactive"),
        /** Release built for `install: source`. */
        version: z.string().regex(/^[0-9]+(\.[0-9]+){1,2}$/, "must be a release number such as 2.1.8").default("2.1.8"),
        /** Tarball for `install: source`; `{version}` is substituted. */
        sourceUrl: z.string().refine(isHttpsUrl, "must be an https URL").default(
            "https://github.com/aws/pgactive/archive/refs/tags/v{version}.tar.gz",
        ),
        /**
         * Expected sha256 of the tarball, checked before anything is unpacked; a mismatch removes the
         * file and stops, naming both sums. Default: the known one of `version` (for 2.1.8, that of
         * upstream's v2.1.8 source archive).
         */
        sourceSha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase hex sha256").optional(),
        /** Build a release with no known or given checksum; otherwise such a config is refused. Default false. */
        allowUnverifiedSource: z.boolean().default(false),
        /** Loopback port where each node's HAProxy forwards to the group's one writer. Default 5433. */
        routerPort: port.default(5433),
    })
    .prefault({});

const patroniSchema = z
    .strictObject({
        /** Cluster name in etcd. Default `paperless`. */
        scope: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "must be lowercase letters, digits, dashes").default("paperless"),
        /**
         * Leader lease in seconds: a dead leader is replaced about this long after its last renewal,
         * plus 2 s in which Patroni asks the dead leader's API, plus about 2 s more when the etcd
         * leader died with it (etcd extends leases across its own election);
         * `loopWait + 2 × retryTimeout ≤ ttl` is enforced. Patroni releases newer than Debian 12's
         * 3.0.2 raise a ttl below 20 to 20. A change reaches a running cluster through etcd
         * (`patronictl edit-config`), as do the two below and `synchronous`.
         */
        ttl: z.number().int().min(5).default(8),
        /** Seconds between HA loop runs. */
        loopWait: z.number().int().min(1).default(1),
        /**
         * Seconds DCS and PostgreSQL operations are retried. After an etcd leader change a Patroni
         * may first try a dead etcd member (a one-second timeout) before a live one: below 3 a
         * healthy leader can demote itself then.
         */
        retryTimeout: z.number().int().min(1).default(3),
        /** Synchronous replication (RPO 0); strict once there are three data nodes. Default true. */
        synchronous: z.boolean().default(true),
        /** Patroni REST API port (TLS). Default 8008. */
        restApiPort: port.default(8008),
        /** Loopback port where each node's HAProxy forwards to the current primary. Default 5433. */
        routerPort: port.default(5433),
    })
    .prefault({});

const databaseSchema = z
    .strictObject({
        /**
         * Replication engine: `pgactive` (active-active) or `patroni` (one writer, automatic failover).
         * Default `pgactive` (classic); swarm always runs `patroni`.
         */
        engine: z.enum(["pgactive", "patroni"]).optional(),
        /** PostgreSQL major version installed from the distribution. Default `15` (Debian 12). */
        postgresVersion: z.string().regex(/^[0-9]{2}$/, "must be a PostgreSQL major version such as 15").default("15"),
        /** Database name. Default `paperless`. */
        name: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase SQL identifier").default("paperless"),
        /** Application role. Default `paperless`. */
        user: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase SQL identifier").default("paperless"),
        /** Superuser pgactive connects with between nodes (its password from `~postgres/.pgpass`, never in a DSN). Default `pgactive`. */
        replicationUser: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase SQL identifier").default("pgactive"),
        /** Port. Default 5432. */
        port: port.default(5432),
        /** Extra `postgresql.conf` settings, merged over the defaults (`shared_buffers: 256MB`, `effective_cache_size: 1GB`, …). */
        settings: z.record(z.string().regex(PG_SETTING, "keys must be PostgreSQL setting names"), z.union([line, z.number(), z.boolean()])).default({}),
        pgactive: pgactiveSchema,
        patroni: patroniSchema,
    })
    .prefault({});

const glusterSchema = z
    .strictObject({
        /** Volume name. Default `paperless`. */
        volume: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "must be letters, digits, dash or underscore").default("paperless"),
        /** Brick directory on every storage node (the brick is `<brickDir>/brick`). Default `/srv/gluster/paperless`. */
        brickDir: dataDir("/srv/gluster/paperless"),
        /** Where the volume is mounted on data nodes (`media`, `consume`, `export` inside). Default `/mnt/paperless`. */
        mountPoint: dataDir("/mnt/paperless"),
        /** Extra `gluster volume set` options, merged over the quorum defaults. */
        options: z.record(z.string().regex(GLUSTER_OPTION, "keys must be GlusterFS option names such as performance.cache-size"), z.string().regex(/^[A-Za-z0-9._:,/*+-]+$/, "must be a plain option value")).default({}),
    })
    .prefault({});

const seaweedSchema = z
    .strictObject({
        /** `defaultReplication` of the masters: `001` keeps two copies on different servers of one rack. */
        replication: z.string().regex(/^[0-9]{3}$/, "must be three digits such as 001").default("001"),
        /** Volume server data on every node. Default `/srv/seaweedfs/volume`. */
        volumeDir: dataDir("/srv/seaweedfs/volume"),
        /** Master raft state on the master nodes. Default `/srv/seaweedfs/master`. */
        masterDir: dataDir("/srv/seaweedfs/master"),
        /** Where every node mounts the filer with FUSE. Default `/mnt/seaweedfs`. */
        mountPoint: dataDir("/mnt/seaweedfs"),
        /** Filer directory Paperless keeps its media under. Default `/paperless`. */
        filerPath: z.string().superRefine((p, ctx) => {
            const bad = pathProblem(p);
            if (bad) ctx.addIssue({ code: "custom", message: bad });
        }).default("/paperless"),
        /** Filer metadata database and role in the Patroni cluster. Default `seaweedfs`. */
        database: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lowercase SQL identifier").default("seaweedfs"),
        /** Most connections one filer opens to PostgreSQL. Default 20. */
        maxOpenConnections: z.number().int().min(2).max(500).default(20),
        /** Idle connections one filer keeps. Default 5. */
        maxIdleConnections: z.number().int().min(1).max(500).default(5),
        /** Volume size limit in MB each master hands out. Default 1024. */
        volumeSizeLimitMB: z.number().int().min(64).default(1024),
        /** The masters' HTTP port (gRPC on it + 10000). Default 9333. */
        masterPort: port.default(9333),
        /** The volume servers' HTTP port (gRPC on it + 10000). Default 8080. */
        volumePort: port.default(8080),
        /** The filers' HTTP port (gRPC on it + 10000). Default 8888. */
        filerPort: port.default(8888),
        /** The S3 gateway's port. Default 8333. */
        s3Port: port.default(8333),
        /** Prometheus metrics: master, volume, filer, S3 listen on this port and the three after it. Default 9324. */
        metricsPort: port.default(9324),
    })
    .prefault({})
    .refine((s) => s.maxIdleConnections <= s.maxOpenConnections, {
        message: "must not exceed maxOpenConnections",
        path: ["maxIdleConnections"],
    });

const storageSchema = z
    .strictObject({
        /** Shared file system: `glusterfs` (classic; swarm too) or `seaweedfs` (swarm only). Default: `glusterfs` (classic), `seaweedfs` (swarm). */
        backend: z.enum(["glusterfs", "seaweedfs"]).optional(),
        gluster: glusterSchema,
        seaweedfs: seaweedSchema,
        /**
         * On `pulumi destroy`, set bricks, database files and data dirs aside (`*.retained-<time>`)
         * instead of deleting them; with false, a directory the config names is deleted only if the
         * program made it (each host lists those in `/var/lib/paperless-ha/owned-dirs`). Default true.
         */
        retainOnDestroy: z.boolean().default(true),
    })
    .prefault({});

const backupSchema = z
    .strictObject({
        /** A scheduled backup of the database and the media: a systemd timer on the singleton runs `paperless-ha-backup`. Default true. */
        enabled: z.boolean().default(true),
        /**
         * systemd `OnCalendar` expression (`daily`, `Mon..Fri *-*-* 03:00`, …), checked before any
         * change and again on the host with `systemd-analyze calendar`.
         */
        schedule: z.string().refine(isCalendar, "must be a systemd OnCalendar expression such as '*-*-* 02:30:00' or 'daily'").default("*-*-* 02:30:00"),
        /** Where backups are kept on the singleton node. Keep a copy elsewhere with `remote`. */
        directory: dataDir("/var/backups/paperless-ha"),
        /** How many backups to keep (older ones are removed after a successful backup). Default 7. */
        keep: z.number().int().min(1).default(7),
        /** A backup older than this many hours is overdue (status and alerts). Default 26. */
        maxAgeHours: z.number().positive().default(26),
        /** Encrypt every backup (AES-256, key from a generated passphrase: output `backupPassphrase`). */
        encrypt: z.boolean().default(false),
        /** Copy each backup there with rsync over SSH (`user@host:/path`), using root's SSH key on the node. */
        remote: z.string().regex(/^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\/[^\s]*$/, "must look like user@host:/absolute/path").optional(),
    })
    .prefault({});

const monitoringSchema = z
    .strictObject({
        /**
         * Prometheus metrics on every node: node_exporter (with the cluster's own facts from a
         * collector timer), postgres_exporter beside each classic database. Default true.
         */
        enabled: z.boolean().default(true),
        /** node_exporter port on every node, open to the other nodes only. Default 9100. */
        nodeExporterPort: port.default(9100),
        /** postgres_exporter port on every classic data node, open to the other nodes only (swarm: `swarm.exporterPort`). Default 9187. */
        postgresExporterPort: port.default(9187),
        /**
         * A Prometheus server on the singleton node (Debian's, on its port 9090, reachable from
         * `firewall.managementCidrs`) that scrapes every node and evaluates the alert rules. Default true.
         */
        prometheus: z.boolean().default(true),
        /** Replication lag, in bytes, that raises an alert after 5 minutes and is a problem to `npm run status`. Default 64 MiB. */
        maxReplicationLagBytes: z.number().int().min(0).default(64 * 1024 * 1024),
    })
    .prefault({});

const appSchema = z
    .strictObject({
        /** Paperless-ngx image: the published 2.20.15 is the last 2.x (a 3.x upgrade starts there); a change rolls over the nodes one at a time. */
        image: image("ghcr.io/paperless-ngx/paperless-ngx:2.20.15"),
        /** Port Paperless listens on, on every node. Default 8000. */
        port: port.default(8000),
        /** Port of the Redis on every data node (Debian's `redis-server`). Default 6379. */
        redisPort: port.default(6379),
        /** Port of Redis Sentinel on every node, the arbiter too. Default 26379. */
        sentinelPort: port.default(26379),
        /** Loopback port on every data node where HAProxy forwards to the current Redis master. Default 6380. */
        redisRouterPort: port.default(6380),
        /** Public URL (`PAPERLESS_URL`, a trusted origin), e.g. `https://paperless.example.com`. Default: `https://` and the first of `edge.hostnames`, if any. */
        url: z.url({ protocol: /^https?$/ }).refine((u) => !/[\s'"\\]/.test(u), "must not contain quotes, spaces or backslashes").optional(),
        /** PAPERLESS_TIME_ZONE. Default `UTC`. */
        timeZone: z.string().regex(TIME_ZONE, "must be a time zone name such as UTC or Europe/Berlin").default("UTC"),
        /**
         * PAPERLESS_OCR_LANGUAGE: tesseract languages joined by `+`, e.g. `deu+eng`. Each is installed
         * in the image at start when missing (Debian's `tesseract-ocr-<lang>`). Default `eng`.
         */
        ocrLanguage: z.string().regex(/^[a-z]{3}(_[a-z]+)*(\+[a-z]{3}(_[a-z]+)*)*$/, "must be tesseract language codes joined by '+', e.g. deu+eng").default("eng"),
        /** Admin account created on first start (its password generated: stack output `adminPassword`). Default `admin`. */
        adminUser: z.string().regex(DJANGO_USER, "must be 1-150 letters, digits or @ . + - _").default("admin"),
        /** Admin e-mail. Default `root@localhost`. */
        adminEmail: z.string().regex(EMAIL, "must be an e-mail address").default("root@localhost"),
        /** Per-node data dir (search index, scheduler state, classifier, logs): local disk, never shared. */
        dataDir: dataDir("/var/lib/paperless-ha/data"),
        /** Extra PAPERLESS_* environment for every instance. */
        env: z.record(z.string().regex(/^PAPERLESS_[A-Z0-9_]+$/, "keys must be PAPERLESS_* names"), line).default({}),
    })
    .prefault({});

const edgeSchema = z
    .strictObject({
        /** Run HAProxy on every data node in front of all app instances, in either topology (off: the swarm's port 8000 is public, in plain HTTP). Default true. */
        enabled: z.boolean().default(true),
        /** Plain HTTP port (redirects to HTTPS when tls is on). Default 80. */
        httpPort: port.default(80),
        /** HTTPS port, served with the node certificate from the cluster CA. Default 443. */
        httpsPort: port.default(443),
        /** Serve HTTPS. Default true. */
        tls: z.boolean().default(true),
        /**
         * A certificate of your own (PEM, the server's first, then its issuers), e.g. from a public
         * CA: HAProxy serves it to clients that ask for one of its DNS names (TLS SNI), and lets
         * its names through as `Host`; addresses and other names keep the node's certificate from
         * the cluster CA. Its key is the secret `edgeCertificateKey`. It must cover every name in
         * `hostnames`. Default: none.
         */
        certificate: z.string().optional(),
        /** Extra DNS names in every node certificate (the public name of the cluster), and names HAProxy lets through as `Host`. */
        hostnames: z.array(z.string().refine(isAddress, "must be a DNS host name or IP")).default([]),
        /**
         * Port of each node's drain agent on its cluster address: every HAProxy asks it whether the
         * node's app takes new requests, so a rolling update drains an instance before stopping it.
         * Default 8405.
         */
        agentPort: port.default(8405),
        /**
         * One address for the whole cluster: an unused IP in the data nodes' subnet that keepalived
         * (VRRP, unicast between the nodes) keeps on one node whose HAProxy runs, and moves to
         * another within seconds when that node fails. Node certificates carry it; it is the public
         * URL when `app.url` and `edge.hostnames` name none. Default: none.
         */
        virtualAddress: z.string().refine((s) => isIP(s) !== 0, "must be an IPv4 or IPv6 address").optional(),
        /** VRRP virtual router id of `virtualAddress`, unique among the VRRP users on that LAN. Default 51. */
        virtualRouterId: z.number().int().min(1).max(255).default(51),
    })
    .prefault({});

const firewallSchema = z
    .strictObject({
        /** Manage an nftables input policy (its own table and unit; Docker's rules untouched). Default true. */
        enabled: z.boolean().default(true),
        /**
         * Sources allowed to SSH, the Docker API and Prometheus; required while the firewall is
         * enabled (no default: anywhere is a choice to write down), and must admit the address
         * the program connects from (the firewall step refuses to lock its own session out).
         */
        managementCidrs: z.array(z.string().refine(isCidr, "must be an address or a network such as 192.0.2.0/24"))
            .min(1, "must list at least one source, or SSH is closed to everyone once the firewall drops by default")
            .optional(),
    })
    .prefault({});

const hostSchema = z
    .strictObject({
        /** Install and enable chrony. Turn off where the clock is not the host's to set (containers). Default true. */
        timeSync: z.boolean().default(true),
        /** Extra sysctl settings, merged over the reference tuning. */
        sysctl: z.record(z.string().regex(SYSCTL_KEY, "keys must be sysctl names such as vm.swappiness"), z.union([z.string().regex(/^[A-Za-z0-9 ._:,/-]*$/, "must be a plain sysctl value"), z.number()])).default({}),
        /** Port of the TLS Docker API the program deploys containers through. Default 2376. */
        dockerApiPort: port.default(2376),
    })
    .prefault({});

const swarmImagesSchema = z
    .strictObject({
        /** Base the Patroni image is built from on every host (PostgreSQL and Patroni from its apt sources). */
        patroniBase: image("docker.io/library/debian:bookworm-slim"),
        /** Tag the hosts build the Patroni image under. */
        patroni: image("paperless-ha/patroni:15-1"),
        /** etcd's image. The stacks set every entrypoint: any image with the binary on its `PATH` serves. */
        etcd: image("quay.io/coreos/etcd:v3.5.17"),
        /** HAProxy's image (Patroni's router). */
        haproxy: image("docker.io/library/haproxy:2.8"),
        /** PgBouncer's image. */
        pgbouncer: image("docker.io/edoburu/pgbouncer:v1.23.1-p3"),
        /** postgres_exporter's image. */
        postgresExporter: image("quay.io/prometheuscommunity/postgres-exporter:v0.16.0"),
        /** SeaweedFS's image (masters, volume servers, filers, S3, mounts). */
        seaweedfs: image("docker.io/chrislusf/seaweedfs:3.80"),
    })
    .prefault({});

const swarmSchema = z
    .strictObject({
        /** Swarm managers (raft), etcd members and SeaweedFS masters: the first nodes of the list, at most this many, always an odd number. Default 3. */
        managers: z.number().int().min(1).max(7).refine((n) => n % 2 === 1, "must be odd (raft needs a majority)").default(3),
        /** PgBouncer on every node's loopback, in front of the current Patroni leader. Default 6432. */
        pgbouncerPort: port.default(6432),
        /** postgres_exporter metrics on every node. Default 9187. */
        exporterPort: port.default(9187),
        /** Seconds `docker stack deploy` may take to converge before the step fails. Default 600. */
        convergeTimeout: z.number().int().min(30).default(600),
        images: swarmImagesSchema,
    })
    .prefault({});

export const configSchema = z.strictObject({
    /** `classic` (pgactive + GlusterFS + per-node containers) or `swarm`. Default `classic`. */
    topology: z.enum(["classic", "swarm"]).default("classic"),
    /** The hosts, in order; the first creates the database group and the volume. */
    nodes: z.array(nodeSchema).min(1, "at least one node is required"),
    /**
     * Let `up` take etcd, the volume's replicas or the swarm managers from three or more down to
     * fewer than three (one more failure then stops the cluster); without it such a node list is
     * refused before anything changes (dropping or readdressing a swarm manager is refused
     * regardless). Default false.
     */
    forceShrink: z.boolean().default(false),
    ssh: sshSchema,
    /** Secret: the SSH private key itself (`pulumi config set --secret sshPrivateKey < key`); or `ssh.privateKeyPath`, exactly one of the two. */
    sshPrivateKey: z.string().optional(),
    /** Secret: the private key of `edge.certificate` (`pulumi config set --secret edgeCertificateKey < key.pem`). */
    edgeCertificateKey: z.string().optional(),
    database: databaseSchema,
    storage: storageSchema,
    backup: backupSchema,
    monitoring: monitoringSchema,
    app: appSchema,
    edge: edgeSchema,
    firewall: firewallSchema,
    host: hostSchema,
    swarm: swarmSchema,
});

export type ParsedConfig = z.output<typeof configSchema>;
