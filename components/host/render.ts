import { ClusterConfig, NodeSpec } from "../config";
import { hasControlChars, isCidr, SYSCTL_KEY } from "../config/rules";
import { PROMETHEUS_PORT } from "../monitoring/monitoringConf";

/** Kernel tuning from the reference design; user settings override. */
export const DEFAULT_SYSCTL: Record<string, string | number> = {
    "net.core.rmem_max": 134217728,
    "net.core.wmem_max": 134217728,
    "net.ipv4.tcp_rmem": "4096 87380 134217728",
    "net.ipv4.tcp_wmem": "4096 65536 134217728",
    "net.core.netdev_max_backlog": 5000,
    "fs.file-max": 2097152,
    "vm.swappiness": 10,
    "vm.dirty_ratio": 15,
    "vm.dirty_background_ratio": 5,
};

export function renderSysctl(overrides: Record<string, string | number>): string {
    const merged = { ...DEFAULT_SYSCTL, ...overrides };
    return Object.keys(merged)
        .sort()
        .map((k) => {
            // One line each: a newline in a key or value would add a setting of its own.
            if (!SYSCTL_KEY.test(k) || hasControlChars(String(merged[k]))) throw new Error(`sysctl ${JSON.stringify(k)}: not a plain key and value`);
            return `${k} = ${merged[k]}`;
        })
        .join("\n") + "\n";
}

/** The managed block of /etc/hosts: every node by name. */
export function renderHostsBlock(nodes: NodeSpec[]): string {
    return nodes.map((n) => `${n.clusterAddress} ${n.name}`).join("\n") + "\n";
}

/** keepalived runs beside every data node's HAProxy, keeping the cluster's one address on a node that serves. */
export const holdsVirtualAddress = (c: ClusterConfig): boolean => c.edge.enabled && c.edge.virtualAddress !== undefined;

/** Debian packages a node needs, installed in one apt run so later steps never race for the dpkg lock. */
/** Sentinel on every node; Redis itself on the data nodes (redis-sentinel brings redis-cli). */
const redisPackages = (node: NodeSpec) => (node.arbiter ? ["redis-sentinel"] : ["redis-sentinel", "redis-server"]);

export function packagesFor(node: NodeSpec, c: ClusterConfig): string[] {
    const m = c.monitoring;
    const metrics = m.enabled ? ["prometheus-node-exporter", ...(m.prometheus && node.name === c.singleton.name ? ["prometheus"] : [])] : [];
    if (c.topology === "swarm") {
        // Everything else runs in containers; FUSE serves the SeaweedFS mount.
        const storage = c.storage.backend === "glusterfs" ? ["attr", "glusterfs-client", "glusterfs-server"] : [];
        // Backups dump through the node's PgBouncer with the distribution's client of the same major version.
        const backup = c.backup.enabled && node.name === c.singleton.name ? [`postgresql-client-${c.database.postgresVersion}`, "openssl", "rsync"] : [];
        // HAProxy routes to the Redis master, and with the edge balances the app.
        const edge = node.arbiter ? [] : ["haproxy", ...(c.edge.enabled && holdsVirtualAddress(c) ? ["iproute2", "keepalived"] : [])];
        return ["ca-certificates", "curl", "docker.io", "fuse3", "nftables", ...redisPackages(node), ...edge, ...storage, ...metrics, ...backup, ...(c.host.timeSync ? ["chrony"] : [])].sort();
    }
    const pkgs = ["attr", "ca-certificates", "curl", "gnupg", "nftables", "glusterfs-server", ...redisPackages(node), ...metrics];
    if (m.enabled && !node.arbiter) pkgs.push("prometheus-postgres-exporter");
    if (c.host.timeSync) pkgs.push("chrony");
    const patroni = c.database.engine === "patroni";
    if (patroni) pkgs.push("etcd-server", "etcd-client");
    if (!node.arbiter) {
        const v = c.database.postgresVersion;
        pkgs.push("glusterfs-client", `postgresql-${v}`, `postgresql-client-${v}`, "docker.io");
        if (patroni) pkgs.push("patroni");
        pkgs.push("haproxy");
        if (holdsVirtualAddress(c)) pkgs.push("iproute2", "keepalived");
        if (c.backup.enabled && node.name === c.singleton.name) pkgs.push("openssl", "rsync");
    }
    return pkgs.sort();
}

export interface PortRange {
    from: number;
    to?: number;
}

const fmt = (p: PortRange) => (p.to ? `${p.from}-${p.to}` : `${p.from}`);

/** Ports only the other nodes may reach. */
export function clusterPorts(c: ClusterConfig): PortRange[] {
    // Scraped by the Prometheus on the singleton.
    const metrics = c.monitoring.enabled
        ? [{ from: c.monitoring.nodeExporterPort }, ...(c.topology === "classic" ? [{ from: c.monitoring.postgresExporterPort }] : [])]
        : [];
    const gluster = [
        { from: 24007, to: 24008 }, // glusterd
        { from: 49152, to: 60999 }, // gluster bricks (glusterd base-port..max-port)
    ];
    if (c.topology === "swarm") {
        const w = c.storage.seaweedfs;
        // SeaweedFS serves gRPC on each HTTP port + 10000.
        const seaweed = [w.masterPort, w.volumePort, w.filerPort].flatMap((p) => [{ from: p }, { from: p + 10000 }]);
        const storage = c.storage.backend === "glusterfs" ? gluster
            : [...seaweed, { from: w.s3Port }, { from: w.metricsPort, to: w.metricsPort + 3 }];
        return [
            { from: 2377 }, { from: 7946 }, // swarm control plane and gossip
            { from: 2379, to: 2380 }, { from: c.database.port }, { from: c.database.patroni.restApiPort },
            ...storage, { from: c.swarm.exporterPort }, { from: c.app.redisPort }, { from: c.app.sentinelPort }, ...metrics,
            // Behind the edge, the app's own port answers the balancers only.
            ...(c.edge.enabled ? [{ from: c.app.port }, { from: c.edge.agentPort }] : []),
        ];
    }
    return [
        { from: c.database.port },
        ...gluster,
        { from: c.app.redisPort },
        { from: c.app.sentinelPort },
        { from: c.app.port },
        ...(c.edge.enabled ? [{ from: c.edge.agentPort }] : []),
        ...(c.database.engine === "patroni" ? [{ from: 2379, to: 2380 }, { from: c.database.patroni.restApiPort }] : []),
        ...metrics,
    ];
}

/** Ports anyone may reach: the load balancer (without one, the swarm's app port). */
export function publicPorts(c: ClusterConfig): PortRange[] {
    if (!c.edge.enabled) return c.topology === "swarm" ? [{ from: c.app.port }] : [];
    return c.edge.tls ? [{ from: c.edge.httpPort }, { from: c.edge.httpsPort }] : [{ from: c.edge.httpPort }];
}

/** The sources SSH and the Docker API admit, parsed, not pasted: anything else in an nftables set could open every port. */
export function managementCidrs(c: ClusterConfig): string[] {
    const cidrs = c.firewall.managementCidrs ?? [];
    for (const a of cidrs) if (!isCidr(a)) throw new Error(`firewall.managementCidrs: '${a}' is not an address or network`);
    return cidrs;
}

/**
 * nftables input policy: drop by default; management (SSH, Docker API) from the configured
 * sources, cluster ports from the other nodes only, load-balancer ports from anywhere. Docker's
 * bridges get nothing of their own: every container of the cluster runs on the host's network, so
 * a container on a bridge reaches only what anyone may.
 */
export function renderFirewall(c: ClusterConfig, sshPort: number): string {
    const v4 = c.nodes.map((n) => n.clusterAddress).filter((a) => !a.includes(":"));
    const v6 = c.nodes.map((n) => n.clusterAddress).filter((a) => a.includes(":"));
    const mgmt = managementCidrs(c);
    const mgmt4 = mgmt.filter((a) => !a.includes(":"));
    const mgmt6 = mgmt.filter((a) => a.includes(":"));
    const cluster = clusterPorts(c).map(fmt).join(", ");
    const prometheus = c.monitoring.enabled && c.monitoring.prometheus ? [PROMETHEUS_PORT] : [];
    const mgmtPorts = [sshPort, c.host.dockerApiPort, ...prometheus].join(", ");
    const lines = [
        "table inet paperless_ha",
        "delete table inet paperless_ha",
        "table inet paperless_ha {",
        "  chain input {",
        "    type filter hook input priority filter; policy drop;",
        "    iif lo accept",
        "    ct state established,related accept",
        "    ct state invalid drop",
        "    meta l4proto { icmp, ipv6-icmp } accept",
    ];
    if (mgmt4.length) lines.push(`    ip saddr { ${mgmt4.join(", ")} } tcp dport { ${mgmtPorts} } accept`);
    if (mgmt6.length) lines.push(`    ip6 saddr { ${mgmt6.join(", ")} } tcp dport { ${mgmtPorts} } accept`);
    // Swarm gossip and overlay traffic, or glusterd's UDP.
    const udp = [...(c.topology === "swarm" ? ["7946", "4789"] : []), ...(c.storage.backend === "glusterfs" ? ["24007-24008"] : [])].join(", ");
    // VRRP (IP protocol 112): the nodes electing the holder of the virtual address.
    const vrrp = holdsVirtualAddress(c);
    if (v4.length) {
        lines.push(`    ip saddr { ${v4.join(", ")} } tcp dport { ${cluster} } accept`);
        lines.push(`    ip saddr { ${v4.join(", ")} } udp dport { ${udp} } accept`);
        if (vrrp) lines.push(`    ip saddr { ${v4.join(", ")} } meta l4proto 112 accept`);
    }
    if (v6.length) {
        lines.push(`    ip6 saddr { ${v6.join(", ")} } tcp dport { ${cluster} } accept`);
        lines.push(`    ip6 saddr { ${v6.join(", ")} } udp dport { ${udp} } accept`);
        if (vrrp) lines.push(`    ip6 saddr { ${v6.join(", ")} } meta l4proto 112 accept`);
    }
    const pub = publicPorts(c);
    if (pub.length) lines.push(`    tcp dport { ${pub.map(fmt).join(", ")} } accept`);
    lines.push("  }", "}");
    return lines.join("\n") + "\n";
}

/**
 * dockerd's TLS settings for the TCP API the Pulumi Docker provider uses: it serves the node's
 * certificate and admits callers signed by the Docker API CA only. The listen addresses go on the
 * command line (scripts/host/docker.sh) so systemd's socket activation stays intact.
 */
export function renderDockerDaemon(): string {
    return JSON.stringify(
        {
            tls: true,
            tlsverify: true,
            tlscacert: "/etc/docker/tls/api-ca.crt",
            tlscert: "/etc/docker/tls/node.crt",
            tlskey: "/etc/docker/tls/node.key",
            "log-driver": "json-file",
            "log-opts": { "max-size": "20m", "max-file": "5" },
        },
        null,
        2,
    ) + "\n";
}
