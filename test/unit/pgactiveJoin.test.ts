/**
 * scripts/host/pgactive-join.sh on a new host whose lost predecessor is in the group, run by bash
 * with `runuser` (psql) scripted: the first node answers the catalog, each member counts its slots
 * for the detached predecessor from a list of answers. The SQL itself runs on the test hosts
 * (pgactive e2e, replace node3).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";

const DSN = (host: string) => `host=${host} port=5432 dbname=paperless user=pgactive sslmode=verify-full`;

/** node3's join; `slots` lists, per member address, what it answers each time it is asked (null: unreachable). */
function join(slots: Record<string, (string | null)[]>, links = "1") {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgactive-join-"));
    for (const [host, answers] of Object.entries(slots)) {
        fs.writeFileSync(path.join(dir, host), answers.map((a) => a ?? "down").join("\n") + "\n");
    }
    const members = Object.keys(slots).map((h, i) => `node${i + 1} ${DSN(h)}`).join("\n");
    const stub = `
sleep() { :; }
runuser() {
    local db="" sql="" arg prev=""
    for arg in "$@"; do
        case $arg in host=*) db=\${arg%% port=*}; db=\${db#host=} ;; esac
        [ "$prev" = -c ] && sql=$arg
        prev=$arg
    done
    [ -n "$sql" ] || sql=$(cat)
    case $sql in
        *pg_extension*) echo 1 ;;
        *"SELECT node_status FROM"*) [ -e "$LOG.joined" ] && echo r || true ;;
        *"node_status <> 'k'"*) echo "r host=10.0.0.23 port=5432" ;;
        *pgactive_detach_nodes*) echo detach >>"$LOG" ;;
        *"node_sysid || ' '"*) echo "7301 1 16384" ;;
        *"node_name || ' ' || node_dsn"*) printf '%s\\n' "$MEMBERS" ;;
        *live_senders*) echo "$LINKS" ;;
        *pgactive_parse_slot_name*)
            local a; a=$(head -n1 "$DIR/$db"); [ "$(wc -l <"$DIR/$db")" -gt 1 ] && sed -i 1d "$DIR/$db"
            echo "slots $db $a" >>"$LOG"
            if [ "$a" = down ]; then echo "psql: error: connection to server at \\"$db\\" failed" >&2; return 2; fi
            echo "$a" ;;
        *DELETE*) echo delete >>"$LOG" ;;
        *pgactive_join_group*) echo join >>"$LOG"; touch "$LOG.joined" ;;
        *) : ;;
    esac
}`;
    const script = withLib(hostScript("pgactive-join")).replace(/^set -euo pipefail$/m, `set -euo pipefail\n${stub}`);
    const log = path.join(dir, "log");
    const r = spawnSync("bash", ["-c", script], {
        env: {
            PATH: "/usr/bin:/bin", PG_PORT: "5432", DB_NAME: "paperless", NODE_NAME: "node3", NODE_DSN: DSN("10.0.0.33"),
            JOIN_DSN: DSN("10.0.0.11"), APP_USER: "paperless", SLOT_DROP_TRIES: "5", LINK_TRIES: "3", LINKS: links, LOG: log, DIR: dir, MEMBERS: members,
        },
        encoding: "utf8",
    });
    const steps = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
    fs.rmSync(dir, { recursive: true, force: true });
    return { ok: r.status === 0, said: r.stderr, steps };
}

describe("a new host joining pgactive under its lost predecessor's name", () => {
    it("frees the name only once every member dropped its slot for the predecessor, then joins", () => {
        const r = join({ "10.0.0.11": ["0"], "10.0.0.12": ["1", "1", "0"] });
        expect(r.said).toContain("detaching this node's lost predecessor");
        expect(r.ok, r.said).toBe(true);
        expect(r.steps).toEqual(["detach", "slots 10.0.0.11 0", "slots 10.0.0.12 1", "slots 10.0.0.12 1", "slots 10.0.0.12 0", "delete", "join"]);
    });

    it("keeps the predecessor's entry and stops, naming the member, when a member still holds its slot at the limit", () => {
        const r = join({ "10.0.0.11": ["0"], "10.0.0.12": ["1"] });
        expect(r.ok).toBe(false);
        expect(r.said).toContain("pgactive member node2 has not dropped its replication slot for this node's detached predecessor after 5s: it still holds 1");
        expect(r.steps).not.toContain("delete");
        expect(r.steps).not.toContain("join");
    });

    it("waits for a member it cannot reach, and stops with psql's reason when it stays unreachable", () => {
        const r = join({ "10.0.0.11": [null] });
        expect(r.ok).toBe(false);
        expect(r.said).toContain('connection to server at "10.0.0.11" failed');
        expect(r.said).toContain("pgactive member node1 has not dropped its replication slot for this node's detached predecessor after 5s: it cannot be reached");
        expect(r.steps).not.toContain("delete");
    });

    it("ends only once every member has a live sender for each of the others, and stops naming the ones that do not", () => {
        const r = join({ "10.0.0.11": ["0"], "10.0.0.12": ["0"] }, "0");
        expect(r.steps).toContain("join");
        expect(r.ok).toBe(false);
        expect(r.said).toContain("pgactive members without a live sender for every other member after 3s: node1 (0 of 1) node2 (0 of 1)");
    });
});
