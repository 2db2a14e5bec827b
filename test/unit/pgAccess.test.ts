/**
 * scripts/host/pg-access.sh run by bash with pg_ctlcluster scripted: a changed pg_hba.conf reaches
 * a running cluster by a reload, and a stopped one (being restarted, or down for maintenance) is no
 * reason to fail the run: it reads the file when it starts.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";

function run(running: boolean, changed: boolean) {
    const stub = `
put_file() { FILE_CHANGED=${changed ? 1 : 0}; }
pg_ctlcluster() { echo "pg_ctlcluster $*" >&2; [ "$3" != status ] || ${running ? "true" : "false"}; }`;
    const script = withLib(hostScript("pg-access")).replace(/^set -euo pipefail$/m, `set -euo pipefail\n${stub}`);
    const r = spawnSync("bash", ["--norc", "-c", script], { env: { PATH: "/usr/bin:/bin", PG_VERSION: "15", HBA: "hostssl all all 10.0.0.1/32 scram-sha-256" }, encoding: "utf8" });
    return { ok: r.status === 0, said: r.stderr.trim().split("\n") };
}

describe("who may connect to a pgactive node", () => {
    it("reloads a running cluster when the file changed", () => {
        expect(run(true, true)).toEqual({ ok: true, said: ["pg_ctlcluster 15 main reload"] });
    });

    it("leaves a stopped cluster to read the file when it starts, and says so", () => {
        expect(run(false, true)).toEqual({ ok: true, said: [
            "PostgreSQL 15/main is not running here: its new pg_hba.conf takes effect when it starts"] });
    });

    it("touches nothing when the file is unchanged", () => {
        expect(run(true, false)).toEqual({ ok: true, said: [""] });
    });
});
