/**
 * scripts/host/patroni-dcs.sh run by bash with patronictl (and docker, for swarm) scripted: what it
 * asks patronictl to write, and where. That Patroni takes the settings from etcd runs on the test
 * hosts (classic e2e: a changed ttl on the grown cluster).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";
import { renderDcsSettings } from "../../components/database/patroniConf";
import { baseConfig, configOf } from "./harness";

function run(settings: string, container = "") {
    const stub = `
patronictl() { echo "patronictl $*"; }
docker() { case $1 in ps) echo c0ffee ;; exec) shift 2; echo "in container: $*" ;; esac; }
timeout() { shift; "$@"; }`;
    const script = withLib(hostScript("patroni-dcs")).replace(/^set -euo pipefail$/m, `set -euo pipefail\n${stub}`);
    const r = spawnSync("bash", ["--norc", "-c", script], { env: { PATH: "/usr/bin:/bin", DCS_SETTINGS: settings, CONTAINER: container }, encoding: "utf8" });
    return { ok: r.status === 0, said: r.stderr.trim() };
}

describe("Patroni's cluster-wide settings on a running cluster", () => {
    const settings = renderDcsSettings(configOf({ ...baseConfig(3), database: { engine: "patroni", patroni: { ttl: 12 } } }));

    it("writes the config's settings to etcd through patronictl on the host", () => {
        expect(run(settings)).toEqual({ ok: true, said: "patronictl -c /etc/patroni/config.yml edit-config --force " +
            "--set ttl=12 --set loop_wait=1 --set retry_timeout=3 --set maximum_lag_on_failover=1048576 --set synchronous_mode=true --set synchronous_mode_strict=true" });
    });

    it("runs patronictl in this node's Patroni container on swarm, and stops when none runs", () => {
        expect(run("ttl=10", "^paperless-db_patroni-node1\\.").said).toBe("in container: patronictl -c /etc/patroni/patroni.yml edit-config --force --set ttl=10");
    });

    it("refuses a line that is not a plain setting", () => {
        expect(run("ttl=10\nttl=1 --set x=$(id)")).toEqual({ ok: false, said: "not a Patroni setting: ttl=1 --set x=$(id)" });
    });
});
