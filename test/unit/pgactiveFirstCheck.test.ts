/**
 * scripts/host/pgactive-first-check.sh run by bash, with `runuser` (psql) scripted: each database
 * answers with the group members it holds, or fails as an unreachable one does. The SQL itself runs
 * on the test hosts (pgactive e2e).
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";

const DSN = (host: string) => `host=${host} port=5432 dbname=paperless user=pgactive sslmode=verify-full`;

/** The check on node1; `own` is what node1's database lists, `peers` what each peer's does (null: unreachable). */
function check(own: string, peers: Record<string, string | null>) {
    const stub = `
runuser() {
    local db="" arg
    for arg in "$@"; do case $arg in host=*) db=\${arg%% port=*}; db=\${db#host=} ;; esac; done
    cat >/dev/null
    case $db in
        "") printf '%s' "$OWN" ;;
${Object.entries(peers).map(([h, m]) => `        ${h}) ${m === null ? `echo 'psql: error: connection to server at "${h}" failed: timeout expired' >&2; return 2` : `printf '%s' '${m}'`} ;;`).join("\n")}
    esac
}`;
    const script = withLib(hostScript("pgactive-first-check")).replace(/^set -euo pipefail$/m, `set -euo pipefail\n${stub}`);
    const r = spawnSync("bash", ["-c", script], {
        env: { PATH: "/usr/bin:/bin", PG_PORT: "5432", DB_NAME: "paperless", NODE_NAME: "node1", OWN: own, PEER_DSNS: Object.keys(peers).map(DSN).join("\n") },
        encoding: "utf8",
    });
    return { ok: r.status === 0, said: r.stderr };
}

describe("the first node's check before it seeds the pgactive group", () => {
    it("passes a first deploy: no database is in a group yet", () => {
        expect(check("", { "10.0.0.12": "", "10.0.0.13": "" }).ok).toBe(true);
    });

    it("passes at once when the first node's database is in the group, whatever the others answer", () => {
        expect(check("node1 r\nnode2 r", { "10.0.0.12": null }).ok).toBe(true);
    });

    it("refuses a new host under the first node's name while another node's database is in a group, saying so", () => {
        const r = check("", { "10.0.0.12": "node1 r\nnode2 r\nnode3 r", "10.0.0.13": "" });
        expect(r.ok).toBe(false);
        expect(r.said).toContain("this node's database is in no pgactive group, but the one at 'host=10.0.0.12' is, with: node1 r node2 r node3 r");
        expect(r.said).toContain("the first listed node cannot be replaced on pgactive yet");
    });

    it("refuses when a peer cannot be asked, naming it and why", () => {
        const r = check("", { "10.0.0.12": "", "10.0.0.13": null });
        expect(r.ok).toBe(false);
        expect(r.said).toContain("cannot tell whether the database at 'host=10.0.0.13' is in a pgactive group");
        expect(r.said).toContain("timeout expired");
    });
});
