import { PROMETHEUS_PORT } from "../config/fixedPorts";
import { stringify } from "yaml";
import { renderShellVars } from "../host/quote";
import { ClusterConfig, hostPort, NodeSpec, sharedMount } from "../config";
import { nodeDbService } from "../database/patroniStack";
import { REDIS_CONF_DIR, REDIS_MASTER_NAME, redisPortOn } from "../redis/redisConf";

/** Where node_exporter's textfile collector reads (Debian's prometheus-node-exporter). */
export const TEXTFILE_DIR = "/var/lib/prometheus/node-exporter";
/** The rules file beside Debian's Prometheus config. */
export const RULES_PATH = "/etc/prometheus/paperless-ha.rules.yml";
export { PROMETHEUS_PORT } from "../config/fixedPorts";

const POSTGRES_JOB = "postgres";

/** The postgres_exporter port on each node, or none when the topology runs no exporter there. */
function postgresExporterPort(c: ClusterConfig): number {
    return c.topology === "swarm" ? c.swarm.exporterPort : c.monitoring.postgresExporterPort;
}

/** /etc/paperless-ha/metrics.env, read by paperless-ha-metrics; no secret in it. Pure. */
export function renderMetricsEnv(c: ClusterConfig, node: NodeSpec): string {
    const vars: Record<string, string> = {
        TOPOLOGY: c.topology,
        NODE_NAME: node.name,
        ENGINE: c.database.engine,
        // The arbiter runs no database and no app; it only holds a brick.
        DATA_NODE: node.arbiter ? "0" : "1",
        PEERS: String(c.dataNodes.length - 1),
        PG_PORT: String(c.database.port),
        // Swarm: the node's Patroni service, whose container holds PostgreSQL.
        DB_SERVICE: nodeDbService(c, node.name),
        // pgactive keeps its catalog, conflict history included, in the application's database.
        DB_NAME: c.database.name,
        APP_URL: `http://${hostPort(node.clusterAddress, c.app.port)}/`,
        VOLUME: c.storage.backend === "glusterfs" ? c.storage.gluster.volume : "",
        MOUNT_POINT: sharedMount(c),
        TEXTFILE_DIR,
        // Every node runs a Sentinel; a data node a Redis too. The passwords are read from REDIS_CONF_DIR.
        REDIS_CONF_DIR,
        REDIS_MASTER_NAME,
        REDIS_PORT: redisPortOn(c, node),
        SENTINEL_PORT: String(c.app.sentinelPort),
    };
    return renderShellVars(vars);
}

/** The collector's oneshot service and the timer that runs it every 30 seconds. Pure. */
export function renderCollectorUnits(): { service: string; timer: string } {
    return {
        service: [
            "[Unit]",
            "Description=paperless-ha cluster facts for node_exporter",
            "",
            "[Service]",
            "Type=oneshot",
            "ExecStart=/usr/local/sbin/paperless-ha-metrics",
            "TimeoutStartSec=60",
            "",
        ].join("\n"),
        timer: [
            "[Unit]",
            "Description=paperless-ha cluster facts every 30 seconds",
            "",
            "[Timer]",
            "OnActiveSec=5",
            "OnUnitActiveSec=30",
            "AccuracySec=1",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ].join("\n"),
    };
}

/** Debian's /etc/default files for the exporters: listen port and (node) the textfile directory. Pure. */
export function renderExporterDefaults(c: ClusterConfig): { node: string; postgres: string } {
    return {
        node: `ARGS="--web.listen-address=:${c.monitoring.nodeExporterPort} --collector.textfile.directory=${TEXTFILE_DIR}"\n`,
        // Peer authentication over the local socket: no password exists to leak.
        postgres: [
            `DATA_SOURCE_NAME='host=/var/run/postgresql port=${c.database.port} user=postgres dbname=postgres sslmode=disable'`,
            `ARGS="--web.listen-address=:${c.monitoring.postgresExporterPort}"`,
            "",
        ].join("\n"),
    };
}

/** /etc/prometheus/prometheus.yml on the singleton: every node's exporters, labelled by node name. Pure. */
export function renderPrometheusConfig(c: ClusterConfig): string {
    const target = (n: NodeSpec, port: number) => hostPort(n.clusterAddress, port);
    const perNode = (nodes: NodeSpec[], port: number) => nodes.map((n) => ({ targets: [target(n, port)], labels: { node: n.name } }));
    return stringify({
        global: { scrape_interval: "15s", evaluation_interval: "15s" },
        rule_files: [RULES_PATH],
        scrape_configs: [
            { job_name: "node", static_configs: perNode(c.nodes, c.monitoring.nodeExporterPort) },
            { job_name: POSTGRES_JOB, static_configs: perNode(c.dataNodes, postgresExporterPort(c)) },
            { job_name: "prometheus", static_configs: [{ targets: [`localhost:${PROMETHEUS_PORT}`], labels: { node: c.singleton.name } }] },
        ],
    }, { lineWidth: 0 });
}

interface Rule {
    alert: string;
    expr: string;
    for?: string;
    severity: "critical" | "warning";
    summary: string;
}

/** The alert rules, for this cluster's engine, storage and backup settings. Pure. */
export function alertRules(c: ClusterConfig): Rule[] {
    const rules: Rule[] = [
        { alert: "PaperlessHaNodeDown", expr: 'up{job="node"} == 0', for: "1m", severity: "critical", summary: "{{ $labels.node }} does not answer (node_exporter unreachable)" },
        { alert: "PaperlessHaExporterDown", expr: `up{job="${POSTGRES_JOB}"} == 0`, for: "2m", severity: "warning", summary: "{{ $labels.node }}: postgres_exporter unreachable" },
        { alert: "PaperlessHaMetricsStale", expr: "time() - paperless_ha_collector_timestamp_seconds > 300", severity: "warning", summary: "{{ $labels.node }}: the paperless-ha-metrics timer has not run for 5 minutes" },
        { alert: "PaperlessHaDatabaseDown", expr: "paperless_ha_db_up == 0", for: "1m", severity: "critical", summary: "{{ $labels.node }}: PostgreSQL does not answer" },
        { alert: "PaperlessHaReplicationBroken", expr: "paperless_ha_db_replication_ok == 0", for: "2m", severity: "critical", summary: "{{ $labels.node }}: replication is not streaming to or from every peer" },
        { alert: "PaperlessHaReplicationLagging", expr: `paperless_ha_db_replication_lag_bytes > ${c.monitoring.maxReplicationLagBytes}`, for: "5m", severity: "warning", summary: "{{ $labels.node }}: replication lags {{ $value | humanize1024 }}B behind" },
        { alert: "PaperlessHaAppDown", expr: "paperless_ha_app_up == 0", for: "2m", severity: "critical", summary: "{{ $labels.node }}: Paperless does not answer" },
        { alert: "PaperlessHaStorageNotMounted", expr: "paperless_ha_storage_mounted == 0", for: "1m", severity: "critical", summary: "{{ $labels.node }}: the shared file system is not mounted" },
    ];
    rules.push(
        { alert: "PaperlessHaRedisNoMaster", expr: "sum(paperless_ha_redis_master) == 0", for: "1m", severity: "critical", summary: "no Redis is the master: Paperless cannot queue work" },
        { alert: "PaperlessHaRedisTwoMasters", expr: "sum(paperless_ha_redis_master) > 1", for: "30s", severity: "critical", summary: "{{ $value }} Redis are the master at once" },
        { alert: "PaperlessHaRedisDown", expr: "paperless_ha_redis_up == 0", for: "1m", severity: "warning", summary: "{{ $labels.node }}: Redis does not answer" },
        { alert: "PaperlessHaSentinelDown", expr: "paperless_ha_sentinel_up == 0", for: "1m", severity: "warning", summary: "{{ $labels.node }}: Sentinel does not answer, one vote fewer for a Redis failover" },
        { alert: "PaperlessHaSentinelSeesNoMaster", expr: "paperless_ha_sentinel_up == 1 and paperless_ha_sentinel_master_ok == 0", for: "1m", severity: "warning", summary: "{{ $labels.node }}: its Sentinel sees no Redis master up" },
    );
    if (c.database.engine === "patroni") {
        rules.push(
            { alert: "PaperlessHaNoPrimary", expr: "sum(paperless_ha_db_writable) == 0", for: "1m", severity: "critical", summary: "no database node accepts writes" },
            { alert: "PaperlessHaTwoPrimaries", expr: "sum(paperless_ha_db_writable) > 1", for: "30s", severity: "critical", summary: "{{ $value }} database nodes accept writes at once (split brain)" },
        );
    }
    if (c.database.engine === "pgactive") {
        rules.push(
            { alert: "PaperlessHaPgactiveNodeNotReady", expr: "paperless_ha_pgactive_nodes_ready < paperless_ha_pgactive_nodes", for: "5m", severity: "critical", summary: "{{ $labels.node }} sees a pgactive node that is not ready" },
            // pgactive resolves a conflict by keeping the last write: the other is gone, so each one is worth a look.
            { alert: "PaperlessHaPgactiveConflict", expr: "increase(paperless_ha_pgactive_conflicts_total[15m]) > 0", severity: "warning", summary: "{{ $labels.node }} resolved about {{ $value | printf \"%.0f\" }} pgactive write conflicts in 15 minutes (see pgactive.pgactive_conflict_history)" },
        );
    }
    if (c.storage.backend === "glusterfs") {
        rules.push(
            { alert: "PaperlessHaVolumeUnreadable", expr: "paperless_ha_storage_volume_readable == 0", for: "2m", severity: "critical", summary: "{{ $labels.node }}: glusterd cannot describe the volume (its bricks and heals are unknown)" },
            { alert: "PaperlessHaBrickOffline", expr: "paperless_ha_storage_bricks_online < paperless_ha_storage_bricks_total", for: "2m", severity: "critical", summary: "{{ $labels.node }} sees a GlusterFS brick offline" },
            { alert: "PaperlessHaHealPending", expr: "max without (instance, node) (paperless_ha_storage_heal_pending) > 0", for: "15m", severity: "warning", summary: "{{ $value }} GlusterFS entries have waited 15 minutes for heal" },
            { alert: "PaperlessHaSplitBrain", expr: "max without (instance, node) (paperless_ha_storage_split_brain) > 0", severity: "critical", summary: "{{ $value }} GlusterFS entries are in split-brain" },
        );
    }
    if (c.backup.enabled) {
        const maxAge = `${c.backup.maxAgeHours}h`;
        rules.push(
            { alert: "PaperlessHaBackupOverdue", expr: `time() - paperless_ha_backup_last_success_timestamp_seconds > ${Math.round(c.backup.maxAgeHours * 3600)}`, severity: "warning", summary: `the newest backup is older than ${maxAge}` },
            { alert: "PaperlessHaBackupMissing", expr: `absent(paperless_ha_backup_last_success_timestamp_seconds{node="${c.singleton.name}"})`, for: maxAge, severity: "warning", summary: `no backup has succeeded on ${c.singleton.name} for ${maxAge}` },
        );
    }
    return rules;
}

/** The rules file Prometheus loads and `promtool check rules` checks. Pure. */
export function renderAlertRules(c: ClusterConfig): string {
    return stringify({
        groups: [{
            name: "paperless-ha",
            rules: alertRules(c).map((r) => ({
                alert: r.alert,
                expr: r.expr,
                ...(r.for ? { for: r.for } : {}),
                labels: { severity: r.severity },
                annotations: { summary: r.summary },
            })),
        }],
    }, { lineWidth: 0 });
}

/** Where an operator reaches Prometheus. Pure. */
export function prometheusUrl(c: ClusterConfig): string {
    const a = c.singleton.address;
    return `http://${hostPort(a, PROMETHEUS_PORT)}/`;
}
