/**
 * A major upgrade of Paperless-ngx (2.x to 3.x): every old instance stops before the one migration,
 * and each rebuilds its search index as it comes back. The graph under mocks; the host scripts run
 * by bash against a stand-in `docker` that records what it was asked to do.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";
import { baseConfig, runProgram, swarmConfig } from "./harness";

/**
 * A stand-in `docker`: images' version labels from `labels` (by reference or id), one app container
 * running `running` (or none), app services in `services` (name => image), every other call logged.
 */
function fakeDocker(opts: { labels: Record<string, string>; running?: string; services?: Record<string, string> }) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-major-"));
    const log = path.join(dir, "calls");
    const labels = Object.entries(opts.labels).map(([ref, v]) => `[${JSON.stringify(ref)}]=${JSON.stringify(v)}`).join(" ");
    const services = Object.entries(opts.services ?? {}).map(([s, img]) => `[${JSON.stringify(s)}]=${JSON.stringify(img)}`).join(" ");
    fs.writeFileSync(path.join(dir, "docker"), `#!/bin/bash
declare -A labels=(${labels}) services=(${services})
running=${JSON.stringify(opts.running ?? "")}
last=\${!#}
case "$1 $2" in
"image inspect") [ -n "\${labels[$last]+x}" ] && echo "\${labels[$last]}" || exit 1 ;;
"service ls") for s in "\${!services[@]}"; do echo "$s"; done ;;
"service inspect") echo "\${services[$last]}" ;;
"service ps") echo "Shutdown 1 second ago" ;;
*)
    case "$1" in
    inspect) [ -n "$running" ] || exit 1; case "$3" in *Running*) echo true ;; *) echo "$running" ;; esac ;;
    *) echo "$*" >> ${JSON.stringify(log)} ;;
    esac ;;
esac
`, { mode: 0o755 });
    const run = (script: string, env: Record<string, string>) => {
        const r = spawnSync("bash", ["-s"], { input: withLib(hostScript(script)), env: { PATH: `${dir}:/usr/bin:/bin`, ...env }, encoding: "utf8" });
        const calls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n") : [];
        fs.rmSync(log, { force: true });
        return { status: r.status, stderr: r.stderr, calls };
    };
    return { dir, run };
}

describe("major upgrade: the graph", () => {
    it("classic: the migration waits for every node's stop step; each instance's index step comes before it serves", async () => {
        const run = await runProgram(baseConfig(3));
        for (const n of ["node1", "node2", "node3"]) {
            expect(run.dependsOn("app-migrate", `app-${n}-major-stop`), n).toBe(true);
            expect(run.dependsOn(`app-${n}-major-stop`, `app-${n}-image`), n).toBe(true);
            expect(run.dependsOn(`app-${n}-index`, `app-${n}-paperless`), n).toBe(true);
            expect(run.dependsOn(`app-${n}-in-service`, `app-${n}-index`), n).toBe(true);
        }
        // One at a time: the next node's drain waits for the previous node to be back in service.
        expect(run.dependsOn("app-node2-drain", "app-node1-in-service")).toBe(true);
    });

    it("swarm: the migration waits for the old services to stop; each node's index step follows the deploy", async () => {
        const run = await runProgram(swarmConfig(3));
        expect(run.dependsOn("app-migrate", "app-major-stop")).toBe(true);
        for (const n of ["node1", "node2", "node3"]) expect(run.dependsOn(`app-${n}-index`, "paperless-app-deploy"), n).toBe(true);
    });
});

describe("major upgrade: app-major-stop.sh", () => {
    const env = (image: string, state: string) => ({ APP_CONTAINER: "paperless-ha-app", IMAGE: image, APP_VERSION_WANT: "", STATE_FILE: state, TIMEOUT: "30" });

    it("drains and stops an instance of an earlier major, and only that", () => {
        const { dir, run } = fakeDocker({ labels: { "sha256:old": "2.20.15", "px:3.0.0": "3.0.0", "px:2.20.16": "2.20.16" }, running: "sha256:old" });
        const state = path.join(dir, "run", "agent");
        const major = run("app-major-stop", env("px:3.0.0", state));
        expect(major.status, major.stderr).toBe(0);
        expect(major.calls).toEqual(["stop -t 30 paperless-ha-app"]);
        expect(fs.readFileSync(state, "utf8")).toBe("drain\n");
        expect(major.stderr).toContain("stopped Paperless-ngx 2.20.15 for the major upgrade to 3.0.0");
        const minor = run("app-major-stop", env("px:2.20.16", path.join(dir, "other")));
        expect(minor.calls).toEqual([]);
        expect(fs.existsSync(path.join(dir, "other"))).toBe(false);
    });

    it("takes the wanted release from the tag when the image has no label, and does nothing without either", () => {
        const { run } = fakeDocker({ labels: { "sha256:old": "2.20.15" }, running: "sha256:old" });
        expect(run("app-major-stop", { ...env("px:3.0.0", "/nonexistent/x"), APP_VERSION_WANT: "3.0.0", STATE_FILE: `${os.tmpdir()}/paperless-ha-major-state` }).calls)
            .toEqual(["stop -t 30 paperless-ha-app"]);
        const none = run("app-major-stop", env("px:latest", "/nonexistent/x"));
        expect(none.calls).toEqual([]);
        expect(none.stderr).toContain("px:latest names no release");
    });

    it("has nothing to stop when no instance runs (a re-run after an interruption, a new host)", () => {
        const { run } = fakeDocker({ labels: { "px:3.0.0": "3.0.0" } });
        const r = run("app-major-stop", env("px:3.0.0", "/nonexistent/x"));
        expect(r.status).toBe(0);
        expect(r.calls).toEqual([]);
    });
});

describe("major upgrade: app-index.sh", () => {
    const env = (record: string) => ({ CONTAINER: "c1", INDEX_RECORD: record, TIMEOUT: "0" });

    it("rebuilds the index once after the major changed, and only records it on a first start", () => {
        const { dir, run } = fakeDocker({ labels: { "sha256:new": "3.0.0" }, running: "sha256:new" });
        const record = path.join(dir, "lib", "index-major");
        const first = run("app-index", env(record));
        expect(first.calls).toEqual([]);
        expect(fs.readFileSync(record, "utf8")).toBe("3");
        fs.writeFileSync(record, "2");
        const upgraded = run("app-index", env(record));
        expect(upgraded.status, upgraded.stderr).toBe(0);
        expect(upgraded.calls).toEqual(["exec c1 document_index reindex --no-progress-bar"]);
        expect(upgraded.stderr).toContain("after the major upgrade from 2.x to 3.x");
        expect(fs.readFileSync(record, "utf8")).toBe("3");
        expect(run("app-index", env(record)).calls).toEqual([]);
    });

    it("keeps the old record when the rebuild fails, so a re-run tries again", () => {
        const { dir, run } = fakeDocker({ labels: { "sha256:new": "3.0.0" }, running: "sha256:new" });
        fs.appendFileSync(path.join(dir, "docker"), "");
        const script = fs.readFileSync(path.join(dir, "docker"), "utf8").replace('*) echo "$*" >>', 'exec) exit 1 ;;\n    *) echo "$*" >>');
        fs.writeFileSync(path.join(dir, "docker"), script);
        const record = path.join(dir, "index-major");
        fs.writeFileSync(record, "2");
        const r = run("app-index", env(record));
        expect(r.status).toBe(1);
        expect(r.stderr).toContain("rebuilding the search index in c1 failed");
        expect(fs.readFileSync(record, "utf8")).toBe("2");
    });
});

describe("major upgrade: app-major-scale-down.sh", () => {
    it("scales only the app services of an earlier major to no task", () => {
        const { run } = fakeDocker({
            labels: { "px:2.20.15": "2.20.15", "px:3.0.0": "3.0.0" },
            services: { "paperless-app_paperless-node1": "px:2.20.15", "paperless-app_paperless-node2": "px:3.0.0", "paperless-app_redis": "px:2.20.15" },
        });
        const r = run("app-major-scale-down", { STACK: "paperless-app", SERVICE_PREFIX: "paperless-app_paperless-", IMAGE: "px:3.0.0", TIMEOUT: "5" });
        expect(r.status, r.stderr).toBe(0);
        expect(r.calls).toEqual(["service scale -d paperless-app_paperless-node1=0"]);
        expect(r.stderr).toContain("every app service is stopped: paperless-app_paperless-node1");
    });
});
