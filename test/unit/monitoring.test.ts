import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { renderFirewall } from "../../components/host/render";
import { alertRules, renderAlertRules, renderMetricsEnv, renderPrometheusConfig, RULES_PATH } from "../../components/monitoring";
import { baseConfig, configOf, plain, runProgram, sourced, swarmConfig } from "./harness";

const cfg = (raw: Record<string, unknown>) => configOf(raw);
const patroni = () => cfg({ ...baseConfig(3), database: { engine: "patroni" } });
const promtool = (...args: string[]) => execFileSync("promtool", args, { encoding: "utf8", stdio: "pipe" });
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-rules-"));

describe("alert rules", () => {
    it("pass promtool check rules for every topology and engine", () => {
        const dir = tmp();
        const arbiter = { ...baseConfig(2), nodes: [...(baseConfig(2).nodes as object[]), { name: "witness", address: "10.0.0.20", roles: ["arbiter"] }] };
        for (const [name, raw] of Object.entries({ pgactive: baseConfig(3), patroni: { ...baseConfig(3), database: { engine: "patroni" } }, arbiter, swarm: swarmConfig(3) })) {
            const file = path.join(dir, `${name}.yml`);
            fs.writeFileSync(file, renderAlertRules(cfg(raw)));
            expect(promtool("check", "rules", file)).toMatch(/SUCCESS: \d+ rules found/);
        }
    });

    it("behave as specified under promtool test rules (fire after their hold time, not before)", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules(patroni()));
        fs.copyFileSync(path.join(__dirname, "..", "rules", "paperless-ha.test.yml"), path.join(dir, "test.yml"));
        expect(promtool("test", "rules", path.join(dir, "test.yml"))).toContain("SUCCESS");
    });

    it("on pgactive, warn of every conflict it resolved and of a node not ready (promtool test rules)", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules(cfg(baseConfig(3))));
        fs.copyFileSync(path.join(__dirname, "..", "rules", "paperless-ha-pgactive.test.yml"), path.join(dir, "test.yml"));
        expect(promtool("test", "rules", path.join(dir, "test.yml"))).toContain("SUCCESS");
        expect(alertRules(patroni()).map((r) => r.alert)).not.toContain("PaperlessHaPgactiveConflict");
    });

    it("catch a rule that never fires: a broken threshold fails the rule tests", () => {
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules(patroni()).replace("paperless_ha_app_up == 0", "paperless_ha_app_up == 2"));
        fs.copyFileSync(path.join(__dirname, "..", "rules", "paperless-ha.test.yml"), path.join(dir, "test.yml"));
        expect(() => promtool("test", "rules", path.join(dir, "test.yml"))).toThrow(/PaperlessHaAppDown/);
    });

    it("follow the cluster: split-brain of primaries only with Patroni, bricks only with GlusterFS, backups only when taken", () => {
        const names = (raw: Record<string, unknown>) => alertRules(cfg(raw)).map((r) => r.alert);
        expect(names(baseConfig(3))).not.toContain("PaperlessHaTwoPrimaries");
        expect(names({ ...baseConfig(3), database: { engine: "patroni" } })).toContain("PaperlessHaTwoPrimaries");
        expect(names(swarmConfig(3))).toContain("PaperlessHaTwoPrimaries");
        expect(names(swarmConfig(3))).not.toContain("PaperlessHaBrickOffline");
        expect(names(swarmConfig(3))).toContain("PaperlessHaBackupOverdue");
        expect(names({ ...baseConfig(3), backup: { enabled: false } })).not.toContain("PaperlessHaBackupMissing");
        const overdue = alertRules(cfg({ ...baseConfig(3), backup: { maxAgeHours: 12 } })).find((r) => r.alert === "PaperlessHaBackupOverdue");
        expect(overdue?.expr).toBe("time() - paperless_ha_backup_last_success_timestamp_seconds > 43200");
    });
});

describe("Prometheus config", () => {
    it("scrapes every node's exporters under its name and passes promtool check config", () => {
        const c = patroni();
        const yml = parse(renderPrometheusConfig(c));
        expect(yml.scrape_configs.map((s: { job_name: string }) => s.job_name)).toEqual(["node", "postgres", "prometheus"]);
        expect(yml.scrape_configs[0].static_configs).toContainEqual({ targets: ["10.0.0.13:9100"], labels: { node: "node3" } });
        expect(yml.scrape_configs[1].static_configs).toContainEqual({ targets: ["10.0.0.12:9187"], labels: { node: "node2" } });
        const dir = tmp();
        fs.writeFileSync(path.join(dir, "rules.yml"), renderAlertRules(c));
        fs.writeFileSync(path.join(dir, "prometheus.yml"), renderPrometheusConfig(c).replace(RULES_PATH, path.join(dir, "rules.yml")));
        expect(promtool("check", "config", path.join(dir, "prometheus.yml"))).toContain("SUCCESS");
    });

    it("asks swarm's exporter port and leaves the arbiter out of the database jobs", () => {
        expect(parse(renderPrometheusConfig(cfg({ ...swarmConfig(3), swarm: { exporterPort: 9300 } }))).scrape_configs[1].static_configs[0].targets).toEqual(["10.0.0.11:9300"]);
        const arbiter = cfg({ ...baseConfig(2), nodes: [...(baseConfig(2).nodes as object[]), { name: "witness", address: "10.0.0.20", roles: ["arbiter"] }] });
        const jobs = parse(renderPrometheusConfig(arbiter)).scrape_configs;
        expect(jobs[0].static_configs.map((s: { labels: { node: string } }) => s.labels.node)).toEqual(["node1", "node2", "witness"]);
        expect(jobs[1].static_configs.map((s: { labels: { node: string } }) => s.labels.node)).toEqual(["node1", "node2"]);
        expect(sourced(renderMetricsEnv(arbiter, arbiter.arbiter!))).toMatchObject({ DATA_NODE: "0", PEERS: "1", VOLUME: "paperless" });
    });
});

describe("monitoring resources", () => {
    it("run on every node after its app; the server only on the singleton; exporters reachable from the nodes only", async () => {
        const run = await runProgram({ ...baseConfig(3), database: { engine: "patroni" } });
        const steps = run.resources.filter((r) => r.name.startsWith("monitoring-"));
        expect(steps.map((r) => r.name)).toEqual(["monitoring-node1-metrics", "monitoring-node2-metrics", "monitoring-node3-metrics"]);
        expect(run.dependsOn("monitoring-node2-metrics", "app-node2-paperless")).toBe(true);
        const stdin = (n: string) => String(plain(run.byName(`monitoring-${n}-metrics`).inputs.stdin));
        expect(stdin("node1")).toContain("export PROMETHEUS_YML=");
        expect(stdin("node2")).not.toContain("export PROMETHEUS_YML=");
        expect(stdin("node2")).toContain("export POSTGRES_DEFAULTS=");
        for (const secret of run.secretValues) expect(stdin("node1")).not.toContain(secret);
        expect(String(plain(run.byName("node1-base").inputs.stdin))).toMatch(/PACKAGES='[^']*prometheus prometheus-node-exporter prometheus-postgres-exporter/);
        expect(String(plain(run.byName("node2-base").inputs.stdin))).not.toMatch(/PACKAGES='[^']*prometheus /);
        expect(run.outputs.metrics).toEqual({ prometheus: "http://10.0.0.11:9090/", nodeExporterPort: 9100 });
        const fw = renderFirewall(patroni(), 22);
        expect(fw).toMatch(/ip saddr \{ 10\.0\.0\.11, 10\.0\.0\.12, 10\.0\.0\.13 \} tcp dport \{[^}]*9100, 9187 \}/);
        expect(fw).toContain("tcp dport { 22, 2376, 9090 } accept");
    });

    it("are absent when disabled", async () => {
        const run = await runProgram({ ...baseConfig(3), monitoring: { enabled: false } });
        expect(run.resources.filter((r) => r.name.startsWith("monitoring"))).toEqual([]);
        expect(String(plain(run.byName("node1-base").inputs.stdin))).not.toContain("prometheus");
        expect(run.outputs.metrics).toBe("disabled");
    });
});
