import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { Host, hostScript, runScript } from "../host";
import {
    renderAlertRules, renderCollectorUnits, renderExporterDefaults, renderMetricsEnv, renderPrometheusConfig, RULES_PATH, TEXTFILE_DIR,
} from "./monitoringConf";

export interface ClusterMonitoringArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    /** Per node: what its metrics describe is in place (database, mount, app). */
    after: Record<string, pulumi.Resource[]>;
}

/**
 * Prometheus metrics on every node (node_exporter plus the cluster's own facts, postgres_exporter
 * beside a host PostgreSQL) and, on the singleton, a Prometheus that scrapes them all and
 * evaluates the alert rules.
 */
export class ClusterMonitoring extends pulumi.ComponentResource {
    public readonly nodes: Record<string, command.remote.Command>;

    constructor(name: string, args: ClusterMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:monitoring:ClusterMonitoring", name, {}, opts);
        const { cluster: c, hosts } = args;
        const units = renderCollectorUnits();
        const defaults = renderExporterDefaults(c);
        const server: Record<string, string> = c.monitoring.prometheus ? {
            PROMETHEUS_YML: renderPrometheusConfig(c),
            RULES: renderAlertRules(c),
            RULES_PATH,
        } : {};
        this.nodes = Object.fromEntries(c.nodes.map((n) => [n.name, runScript(`${name}-${n.name}-metrics`, {
            login: hosts[n.name].login,
            script: "monitoring",
            env: {
                NODE_DEFAULTS: defaults.node,
                METRICS_ENV: renderMetricsEnv(c, n),
                METRICS_SH: hostScript("tools/paperless-ha-metrics"),
                SERVICE: units.service,
                TIMER: units.timer,
                TEXTFILE_DIR,
                // Swarm runs its postgres_exporter as a service of the database stack.
                ...(c.topology === "classic" && !n.arbiter ? { POSTGRES_DEFAULTS: defaults.postgres } : {}),
                ...(n.name === c.singleton.name ? server : {}),
            },
            deleteScript: "monitoring-delete",
            deleteEnv: { RULES_PATH, TEXTFILE_DIR },
        }, { parent: this, dependsOn: [...hosts[n.name].ready, hosts[n.name].firewall, ...(args.after[n.name] ?? [])] })]));
        this.registerOutputs({});
    }
}
