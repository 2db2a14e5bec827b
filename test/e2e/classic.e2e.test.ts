/**
 * The classic topology on three real test hosts, deployed by the real program through the test
 * engine, and checked by looking at the hosts. Order matters: each step builds on the last.
 */
import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { HOST_CA_CERT } from "../../components/host/paths";
import { StateStore } from "../engine/state";
import { callers, expectedCallers, outsiderView } from "./apiAuth";
import { browserSignIn } from "./browser";
import { Call, consumed, content, onNode, original, sample, scannedPdf, search, searchAll, sha256, signIn, store, textPdf, uniquePng, uniqueWord, upload, viaBalancer } from "./documents";
import { scanForLeaks } from "./leakScan";
import { answersAt, containerNames, containerProcesses, crashedUp, databaseWriter, engine, EngineRun, freshHosts, healedOnBrick, holders, noneActive, onHost, promApi, promotedAt, promExpect, redisCli, redisMasterVia, redisSwitchedAt, request, sandbox, SANDBOX, sandboxHosts, SandboxHost, saveFigures, stackFile, stateBesidesChecks, statePath, stateSecret, statusReport, stepSpan, VIRTUAL_ADDRESS, writeGaps } from "./hosts";

const STACK = "classic";
/** The same build under a new image id: what a change of app.image rolls out. */
const NEXT_IMAGE = "paperless-ha/paperless:2.20.15-next";
/** The 2.20.15 build labelled 3.0.0: a stand-in for a 3.x release, which cannot be had here. */
const MAJOR_REHEARSAL_IMAGE = "paperless-ha/paperless-major-rehearsal:3.0.0";
let hosts: SandboxHost[];
let first: EngineRun;
let grown: EngineRun;
let ca: string;
let grownStack: string;
const uploaded = { id: 0, sha256: "" };
/** The text PDF, the scan and the image of the first upload. */
const firstDocs: number[] = [];
const timings: Record<string, number> = {};

function report(name: string, seconds: number) {
    timings[name] = Math.round(seconds * 10) / 10;
}

const adminAuth = () => `admin:${stateSecret(STACK, "secrets-admin", "result")}`;

/** A certificate of the user's own for PUBLIC_NAME, from a CA of the test's (as a public CA would issue it). */
const PUBLIC_NAME = "paperless.sandbox.test";
function publicCertificate(): { chain: string; key: string; ca: string } {
    const dir = path.join(SANDBOX, "e2e", "public-ca");
    fs.mkdirSync(dir, { recursive: true });
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=sandbox public CA", "-days", "2");
    openssl("req", ...ec, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${PUBLIC_NAME}`);
    fs.writeFileSync(path.join(dir, "leaf.ext"), `subjectAltName=DNS:${PUBLIC_NAME}\n`);
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.crt", "-days", "1", "-extfile", "leaf.ext");
    const read = (f: string) => fs.readFileSync(path.join(dir, f), "utf8");
    return { chain: read("leaf.crt") + read("ca.crt"), key: read("leaf.key"), ca: read("ca.crt") };
}
let publicCert: ReturnType<typeof publicCertificate> | undefined;

/**
 * What the virtual address serves a client asking for `name` (TLS SNI and Host): the issuer of its
 * certificate, and the API's answer; verified against `trusted`, or with none given only looked at.
 */
function askByName(name: string, trusted?: string): Promise<{ issuer: string; status: number }> {
    return new Promise((resolve, reject) => {
        const req = https.request({
            host: VIRTUAL_ADDRESS, port: 443, path: "/api/documents/?page_size=1", servername: name, agent: false, timeout: 15_000,
            ...(trusted ? { ca: trusted } : { rejectUnauthorized: false }),
            headers: { Host: name, Authorization: `Basic ${Buffer.from(adminAuth()).toString("base64")}` },
        }, (res) => {
            const issuer = String((res.socket as tls.TLSSocket).getPeerCertificate().issuer.CN);
            res.resume();
            res.on("end", () => resolve({ issuer, status: res.statusCode ?? 0 }));
        });
        req.on("timeout", () => req.destroy(new Error(`timeout asking ${VIRTUAL_ADDRESS} for ${name}`)));
        req.on("error", reject);
        req.end();
    });
}
/** Paperless's API through `address`'s HAProxy, as the admin. */
const via = (address: string): Call => viaBalancer(address, ca, adminAuth());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The API of `address`'s own instance, as the admin (see onNode). */
const instance = (address: string): Call => onNode(address, adminAuth());

/** `etcdctl member list` on a node, through its client certificate. */
const etcdMembers = (address: string) => onHost(address, "ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 " +
    "--cacert=/etc/etcd/paperless-ha-tls/ca.crt --cert=/etc/etcd/paperless-ha-tls/node.crt --key=/etc/etcd/paperless-ha-tls/node.key member list");

type Member = { Member: string; Role: string; State: string; Host: string };
const patroniList = (on: string) => JSON.parse(onHost(on, "patronictl -c /etc/patroni/config.yml list -f json")) as Member[];

/** A document uploaded through `address` and consumed, once a leader runs on a host other than `lost` (bounded). */
async function storeWhileLost(address: string, lost: string, title: string): Promise<{ id: number; sha256: string }> {
    let last = "no leader";
    for (let i = 0; i < 20; i++, await sleep(3000)) {
        if (!patroniList(address).some((m) => m.Role === "Leader" && m.State === "running" && m.Host !== lost)) continue;
        try {
            return await store(via(address), textPdf(`${title} ${uniqueWord()}`));
        } catch (e) {
            last = (e as Error).message;
        }
    }
    throw new Error(`no document stored through ${address} (${title}) in 20 tries: ${last}`);
}

/** Every document downloads through `address` byte for byte as uploaded. */
async function expectServed(address: string, docs: { id: number; sha256: string }[]) {
    for (const d of docs) expect(sha256(await original(via(address), d.id))).toBe(d.sha256);
}

/** Patroni's members seen from `on`, once three are listed and `name` runs at `address` (bounded). */
async function memberBack(on: string, name: string, address: string): Promise<Member[]> {
    let list: Member[] = [];
    for (let i = 0; i < 45; i++) {
        list = patroniList(on);
        const m = list.find((x) => x.Member === name);
        if (list.length === 3 && m?.Host === address && ["running", "streaming"].includes(m.State)) break;
        await new Promise((r) => setTimeout(r, 2000));
    }
    return list;
}

/** Seen from `on`: etcd, Patroni and the volume list `name` at its new `address`, three members each, none at `lost`. */
async function expectRejoined(on: string, name: string, address: string, lost: string) {
    const etcd = etcdMembers(on);
    expect(etcd.split("\n").filter((l) => l.includes(", started, ")).map((l) => l.split(", ")[2]).sort()).toEqual(["node1", "node3", "node4"]);
    expect(etcd).toContain(`https://${address}:2380`);
    expect(etcd).not.toContain(lost);
    // A replica again, cloned from the leader.
    const list = await memberBack(on, name, address);
    expect(list.map((m) => m.Member).sort()).toEqual(["node1", "node3", "node4"]);
    expect(list.filter((m) => m.Role === "Leader")).toHaveLength(1);
    expect(list.find((m) => m.Member === name)).toMatchObject({ Host: address });
    expect(["running", "streaming"]).toContain(list.find((m) => m.Member === name)!.State);
    const volume = onHost(on, "gluster volume info paperless");
    expect(volume).toMatch(/Number of Bricks: 1 x 3 = 3/);
    expect(volume).toContain(`${address}:`);
    expect(volume).not.toContain(`${lost}:`);
    expect(onHost(on, "gluster pool list")).not.toContain(lost);
}

beforeAll(async () => {
    const fresh = await freshHosts("--nodes", "3");
    hosts = fresh.hosts;
    report("sandbox up", fresh.seconds);
});

afterAll(async () => {
    saveFigures("classic", timings);
    // The hosts go with the suite; KEEP_SANDBOX=1 leaves them for a look.
    if (process.env.KEEP_SANDBOX !== "1") await sandbox("down");
});

describe("classic with Patroni, from bare hosts", () => {
    beforeAll(async () => {
        first = await engine("up", STACK);
        report("deploy", first.summary.seconds);
        ca = String(first.summary.outputs.caCertificate);
    });

    it("deploys without a failure", () => {
        expect(first.summary.failed, first.output.slice(-3000)).toEqual([]);
        expect(first.code).toBe(0);
        expect(first.summary.created.length).toBeGreaterThan(60);
    });

    it("mounts one replica-3 volume on every node: a file written on node1 is read on node3", () => {
        const info = onHost(hosts[0].address, "gluster volume info paperless");
        expect(info).toMatch(/Number of Bricks: 1 x 3 = 3/);
        expect(info).toMatch(/Status: Started/);
        for (const h of hosts) expect(onHost(h.address, "findmnt -n -o FSTYPE /mnt/paperless")).toBe("fuse.glusterfs");
        const token = crypto.randomBytes(8).toString("hex");
        onHost(hosts[0].address, `echo ${token} > /mnt/paperless/export/e2e-${token}`);
        expect(onHost(hosts[2].address, `cat /mnt/paperless/export/e2e-${token}`)).toBe(token);
    });

    it("runs one Patroni leader with a synchronous standby, over TLS, with the rendered settings", async () => {
        // Patroni names its synchronous standby on a later HA loop; give it a bounded while.
        let list: { Role: string; State: string; Host: string }[] = [];
        for (let i = 0; i < 30; i++) {
            list = JSON.parse(onHost(hosts[0].address, "patronictl -c /etc/patroni/config.yml list -f json"));
            if (list.some((m) => m.Role === "Sync Standby")) break;
            await new Promise((r) => setTimeout(r, 2000));
        }
        const roles = list.map((m) => m.Role).sort();
        expect(roles.filter((r) => r === "Leader")).toHaveLength(1);
        expect(roles).toContain("Sync Standby");
        expect(list.every((m) => ["running", "streaming"].includes(m.State))).toBe(true);
        const leader = list.find((m) => m.Role === "Leader")!.Host;
        const show = (q: string) => onHost(leader, `runuser -u postgres -- psql -qtAX -c "${q}"`);
        expect(show("SHOW ssl")).toBe("on");
        // The lease timing as the config says, in etcd where Patroni reads it.
        const dcs = parse(onHost(leader, "patronictl -c /etc/patroni/config.yml show-config")) as Record<string, unknown>;
        expect([dcs.ttl, dcs.loop_wait, dcs.retry_timeout, dcs.synchronous_mode_strict]).toEqual([8, 1, 3, true]);
        expect(show("SHOW password_encryption")).toBe("scram-sha-256");
        expect(show("SHOW synchronous_standby_names")).not.toBe("");
        expect(Number(show("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'"))).toBe(2);
        // Replication and app connections arrive encrypted.
        expect(show("SELECT bool_and(ssl) FROM pg_stat_ssl JOIN pg_stat_replication USING (pid)")).toBe("t");
    });

    it("runs a Redis and a Sentinel on every node, every route reaching the one master; the consumer and the schedule run on the singleton only; secrets are files, never environment", () => {
        expect(hosts.map((h) => containerNames(h.address, false).filter((n) => n.includes("redis")))).toEqual(hosts.map(() => []));
        expect(hosts.map((h) => onHost(h.address, "systemctl is-active redis-server@paperless-ha redis-sentinel@paperless-ha").split("\n").join(" ")))
            .toEqual(hosts.map(() => "active active"));
        // node1 (the redis role's default) is the first master; the others replicate it, and every Sentinel agrees.
        const redisPassword = stateSecret(STACK, "secrets-redis", "result");
        const sentinelPassword = stateSecret(STACK, "secrets-redis-sentinel", "result");
        expect(hosts.map((h) => redisMasterVia(h.address, redisPassword))).toEqual(hosts.map(() => hosts[0].address));
        expect(hosts.map((h) => redisCli(h.address, redisPassword, "ROLE", 6379).split("\n")[0])).toEqual(["master", "slave", "slave"]);
        expect(hosts.map((h) => redisCli(h.address, sentinelPassword, "SENTINEL get-master-addr-by-name paperless", 26379).split("\n")[0]))
            .toEqual(hosts.map(() => hosts[0].address));
        // Nothing answers without the password; HAProxy's check user may ask the role and nothing else.
        expect(onHost(hosts[1].address, "redis-cli -h 127.0.0.1 -p 6380 GET x 2>&1")).toMatch(/NOAUTH/);
        expect(redisCli(hosts[1].address, stateSecret(STACK, "secrets-redis-check", "result"), "--user paperless-ha-check KEYS '*' 2>&1")).toMatch(/NOPERM/);
        expect(onHost(hosts[1].address, "stat -c '%a %U %G' /etc/haproxy/haproxy.cfg")).toBe("640 root haproxy");
        // Processes as the host sees them in each app container, and Paperless's own schedule.
        const consumers = hosts.map((h) => containerProcesses(h.address, "paperless-ha-app").filter((p) => p.includes("manage.py document_consumer")).length);
        expect(consumers).toEqual([1, 0, 0]);
        const schedule = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'paperless.settings'); " +
            "from django.conf import settings; print(len(settings.CELERY_BEAT_SCHEDULE))";
        expect(hosts.map((h) => onHost(h.address, `docker exec paperless-ha-app python3 -c "${schedule}" 2>/dev/null | tail -n 1`))).toEqual(["6", "0", "0"]);
        for (const h of hosts.slice(1)) expect(onHost(h.address, "docker logs paperless-ha-app 2>&1 | grep -ci 'consumer is disabled'")).not.toBe("0");
        expect(onHost(hosts[0].address, "docker logs paperless-ha-app 2>&1 | grep -c 'Polling directory for changes'")).not.toBe("0");
        const urls = hosts.map((h) => onHost(h.address, "docker exec paperless-ha-app cat /run/secrets/paperless_redis_url | sha256sum"));
        expect(new Set(urls).size).toBe(1);
        expect(onHost(hosts[1].address, "docker exec paperless-ha-app sed 's/.*@//' /run/secrets/paperless_redis_url")).toBe("127.0.0.1:6380/0");
        const secrets = ["secrets-admin", "secrets-db-app", "secrets-paperless-secret-key", "secrets-redis"].map((r) => stateSecret(STACK, r, "result"));
        for (const h of hosts) {
            const inspect = onHost(h.address, "docker inspect paperless-ha-app");
            expect(secrets.filter((v) => inspect.includes(v))).toEqual([]);
        }
    });

    it("serves through HAProxy on every node, signs a person in on each, refuses a forged Host, and keeps the app ports closed to the outside", async () => {
        for (const h of hosts) {
            expect((await request(`https://${h.address}/api/documents/?page_size=1`, ca, { auth: adminAuth() })).status).toBe(200);
            expect((await request(`https://${h.address}/api/documents/?page_size=1`, ca)).status).toBe(401);
            // Behind HAProxy's TLS, Django sees https and the browser's Origin matches: no CSRF refusal.
            const signedIn = await signIn(h.address, ca, "admin", stateSecret(STACK, "secrets-admin", "result"));
            expect(signedIn).toMatchObject({ form: 200, login: 302, api: 200 });
            expect(signedIn.location).not.toMatch(/^\/accounts\//);
        }
        // A forged Host never reaches Paperless (no forged name in its links); port 8000 answers the
        // other nodes only (this machine is not a node).
        expect(await outsiderView(hosts[0].address, ca, adminAuth())).toEqual({ forgedHost: 400, appPort: "closed" });
    });

    it("answers at the cluster's one address, which one node holds, with a certificate for it, and signs a person in there", async () => {
        expect(holders(hosts)).toHaveLength(1);
        expect((await request(`https://${VIRTUAL_ADDRESS}/api/documents/?page_size=1`, ca, { auth: adminAuth() })).status).toBe(200);
        const signedIn = await signIn(VIRTUAL_ADDRESS, ca, "admin", stateSecret(STACK, "secrets-admin", "result"));
        expect(signedIn).toMatchObject({ form: 200, login: 302, api: 200 });
    });

    it("asks every caller of Patroni's REST API and of the Docker API who it is", () => {
        const [n1, n2] = hosts.map((h) => h.address);
        expect(callers(STACK, n1, n2)).toEqual(expectedCallers(n2));
    });

    it("exports every node's metrics to the Prometheus on node1, which loads the alert rules and sees a stopped app", async () => {
        const prometheus = (first.summary.outputs.metrics as { prometheus: string }).prometheus;
        expect(prometheus).toBe(`http://${hosts[0].address}:9090/`);
        const expected: Record<string, string> = {
            'count(up == 1)': "7", // node_exporter and postgres_exporter on three nodes, Prometheus itself
            "count(paperless_ha_app_up == 1)": "3",
            "count(paperless_ha_db_up == 1)": "3",
            "count(paperless_ha_db_replication_ok == 1)": "3",
            "sum(paperless_ha_db_writable)": "1",
            "count(paperless_ha_storage_mounted == 1)": "3",
            "min(paperless_ha_storage_bricks_online)": "3",
            "max(paperless_ha_storage_split_brain)": "0",
            "count(pg_up == 1)": "3",
            "sum(paperless_ha_redis_master)": "1",
            "count(paperless_ha_redis_up == 1)": "3",
            "count(paperless_ha_sentinel_master_ok == 1)": "3",
        };
        const t = Date.now();
        // Bounded: the collector runs every 30 s and Prometheus scrapes every 15 s.
        expect(await promExpect(prometheus, expected)).toEqual(expected);
        report("metrics all in (s)", (Date.now() - t) / 1000);
        const rules = await promApi(prometheus, "rules") as { groups: { name: string; rules: { name: string; health: string }[] }[] };
        const group = rules.groups.find((g) => g.name === "paperless-ha");
        expect(group?.rules.map((r) => r.name)).toEqual(expect.arrayContaining(["PaperlessHaNodeDown", "PaperlessHaReplicationBroken", "PaperlessHaSplitBrain", "PaperlessHaBackupOverdue", "PaperlessHaTwoPrimaries", "PaperlessHaRedisNoMaster"]));
        expect(group?.rules.every((r) => r.health !== "err")).toBe(true);
        const firing = async () => ((await promApi(prometheus, "alerts")) as { alerts: { labels: Record<string, string>; state: string }[] }).alerts;
        expect((await firing()).filter((a) => a.state === "firing")).toEqual([]);

        // A fault the alerts must see: node3's app stops; its alert goes pending, and clears once it is back.
        const stopped = Date.now();
        onHost(hosts[2].address, "docker stop -t 5 paperless-ha-app >/dev/null");
        let appDown: { labels: Record<string, string>; state: string } | undefined;
        try {
            for (let i = 0; i < 30 && !appDown; i++) {
                appDown = (await firing()).find((a) => a.labels.alertname === "PaperlessHaAppDown" && a.labels.node === "node3");
                if (!appDown) await new Promise((r) => setTimeout(r, 3000));
            }
            report("app stopped -> alert pending (s)", (Date.now() - stopped) / 1000);
        } finally {
            onHost(hosts[2].address, "docker start paperless-ha-app >/dev/null");
        }
        expect(appDown?.state).toMatch(/pending|firing/);
        expect(await promExpect(prometheus, { "count(paperless_ha_app_up == 1)": "3" })).toEqual({ "count(paperless_ha_app_up == 1)": "3" });
    });

    it("consumes real documents uploaded through node2: their words, OCR'd ones too, are found and read through the nodes, node1 serves the same bytes, on every brick", async () => {
        const word = uniqueWord();
        const docs = { text: textPdf(`Invoice ${word} from the classic cluster`), scanned: scannedPdf(sample("simple.jpg")), image: uniquePng(sample("simple.png")) };
        const stored: Record<string, { id: number; sha256: string; seconds: number }> = {};
        for (const [kind, d] of Object.entries(docs)) {
            stored[kind] = await store(via(hosts[1].address), d);
            report(`upload to consumed, ${kind} (s)`, stored[kind].seconds);
        }
        // The text layer is read as is; the scan and the image have no text but what OCR finds.
        // Search runs on each node's own index (the node whose worker consumed a document has it).
        const nodes = hosts.map((h) => instance(h.address));
        expect(await searchAll(nodes, word)).toEqual([stored.text.id]);
        for (const kind of ["scanned", "image"]) {
            expect((await content(via(hosts[2].address), stored[kind].id)).toLowerCase()).toContain("this is a test document");
        }
        expect(await searchAll(nodes, "test")).toEqual([stored.scanned.id, stored.image.id].sort((a, b) => a - b));
        await expectServed(hosts[0].address, Object.values(stored));
        Object.assign(uploaded, { id: stored.text.id, sha256: stored.text.sha256 });
        firstDocs.push(...Object.values(stored).map((d) => d.id));
        const file = `/srv/gluster/paperless/brick/media/documents/originals/${String(uploaded.id).padStart(7, "0")}.pdf`;
        for (const h of hosts) expect(onHost(h.address, `sha256sum ${file} | cut -d' ' -f1`)).toBe(uploaded.sha256);
    });

    it("lets a person sign in with a browser through node3's HTTPS address, the cluster CA trusted, and see the documents", async () => {
        const titles = await Promise.all(firstDocs.map(async (id) => String(JSON.parse((await via(hosts[2].address)(`/api/documents/${id}/?fields=title`)).body.toString()).title)));
        const shot = path.join(SANDBOX, "screenshots", "classic-documents.png");
        const text = await browserSignIn(`https://${hosts[2].address}/`, ca, "admin", stateSecret(STACK, "secrets-admin", "result"), titles, shot);
        for (const t of titles) expect(text).toContain(t);
        expect(fs.statSync(shot).size).toBeGreaterThan(10_000);
    });

    it("backs up with its systemd unit, and a restore after the data is destroyed brings back every document and row", async () => {
        const docs = [{ ...uploaded }];
        for (const h of hosts) docs.push(await store(via(h.address), textPdf(`drill ${h.name} ${uniqueWord()}`)));
        const single = hosts[0].address; // the singleton: it has the volume mounted and a route to the primary
        const leader = JSON.parse(onHost(single, "patronictl -c /etc/patroni/config.yml list -f json")).find((m: { Role: string }) => m.Role === "Leader").Host;
        const rows = () => onHost(leader, "runuser -u postgres -- psql -qtAX -d paperless -c " +
            "\"SELECT count(*) || ' ' || md5(string_agg(id || ':' || checksum, ',' ORDER BY id)) FROM documents_document\"");
        const before = rows();
        // The three of the first upload and the three of this drill.
        expect(before.startsWith(`${docs.length + 2} `)).toBe(true);
        const downloads = async () => Promise.all(docs.map(async (d, i) => sha256(await original(via(hosts[i % hosts.length].address), d.id))));

        expect(onHost(single, "systemctl is-enabled paperless-ha-backup.timer")).toBe("enabled");
        let t = Date.now();
        onHost(single, "systemctl start paperless-ha-backup.service || { journalctl -u paperless-ha-backup.service -n 40 --no-pager >&2; exit 1; }");
        report("backup (s)", (Date.now() - t) / 1000);
        const name = onHost(single, "ls /var/backups/paperless-ha | grep '^2' | tail -n 1");
        expect(onHost(single, `cd /var/backups/paperless-ha/${name} && sha256sum -c SHA256SUMS`).split("\n").sort())
            .toEqual(["database.dump: OK", "media.tar: OK"]);
        expect(onHost(single, `stat -c %a /var/backups/paperless-ha/${name} /etc/paperless-ha/backup.pgpass`)).toBe("700\n600");
        // The backup's age reaches Prometheus (node_exporter reads the file the backup wrote).
        const prometheus = (first.summary.outputs.metrics as { prometheus: string }).prometheus;
        const fresh = { 'count(time() - paperless_ha_backup_last_success_timestamp_seconds{node="node1"} < 300)': "1" };
        expect(await promExpect(prometheus, fresh, 20)).toEqual(fresh);

        // Disaster: every document row and every media file gone.
        onHost(leader, "runuser -u postgres -- psql -qtAX -d paperless -c 'DELETE FROM documents_document_tags; DELETE FROM documents_note; DELETE FROM documents_document'");
        onHost(single, "rm -rf /mnt/paperless/media/documents");
        expect((await downloads()).every((d) => d.startsWith("HTTP "))).toBe(true);

        t = Date.now();
        const out = onHost(single, "paperless-ha-restore --yes latest 2>&1");
        report("restore (s)", (Date.now() - t) / 1000);
        expect(out).toContain("checksums verified");
        expect(rows()).toBe(before);
        expect(await downloads()).toEqual(docs.map((d) => d.sha256));
    });

    it("reports the cluster healthy with npm run status: nodes, database, volume and the fresh backup", async () => {
        // Test hosts get new host keys with every sandbox: check them against a file of this suite's own.
        const out = await statusReport(["dev", "--known-hosts", path.join(SANDBOX, "e2e", "known_hosts")], 20);
        expect(out).toMatch(/\nhealthy\n?$/);
        expect(out).toContain("storage: volume paperless: 3/3 bricks online, 0 entries to heal, 0 in split-brain");
        expect(out).toMatch(/database: (.*, )?node\d Leader \(running\)/);
        expect(out).toContain(`edge: virtual address ${VIRTUAL_ADDRESS} on ${holders(hosts)[0]}`);
        expect(out).toMatch(/backup: newest 2\d{7}T\d{6}Z, 0\.\d h old/);
        expect(out).toMatch(/\nredis: master node\d, replicas node\d, node\d; 3 of 3 Sentinels agree\n/);
    });

    it("refuses a bad config on the running cluster before changing anything, naming the bad key", async () => {
        const state = fs.readFileSync(statePath(STACK), "utf8");
        const bad = stackFile("bad", (c) => {
            const nodes = c["paperless-ha:nodes"] as { address: string }[];
            nodes[1].address = "300.1.1.1";
        });
        const run = await engine("up", STACK, bad);
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.error).join("\n")).toContain("paperless-ha:nodes[1].address: must be an IPv4/IPv6 address");
        expect(run.summary).toMatchObject({ created: [], updated: [], replaced: [], deleted: [] });
        expect(fs.readFileSync(statePath(STACK), "utf8")).toBe(state);
    });

    it("refuses a run when one host's SSH key changed, before anything on any host changes, until it shows the pinned key again", async () => {
        const node2 = hosts[1].address;
        const conf = "/etc/sysctl.d/90-paperless-ha.conf";
        // Another machine answering at node2's address, as far as SSH can tell: a new host key.
        onHost(node2, "mkdir -p /root/host-keys.kept && cp -a /etc/ssh/ssh_host_ed25519_key* /root/host-keys.kept/ && " +
            "rm -f /etc/ssh/ssh_host_ed25519_key* && ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key && systemctl restart ssh");
        // The keys hosts.json gave at start are pinned; a change that reaches every node's base step.
        const tuned = stackFile("rekeyed", (c) => { (c["paperless-ha:host"] as Record<string, unknown>).sysctl = { "vm.swappiness": 11 }; });
        const run = await engine("up", STACK, tuned);
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.name)).toEqual(["node2-host-key-check"]);
        expect(run.summary.failed[0].error).toContain(`host key mismatch: ${node2}`);
        // The other hosts showed their keys; nothing changed anywhere.
        expect(run.checked).toEqual(["node1-host-key-check", "node3-host-key-check"]);
        expect([...run.summary.updated, ...run.summary.created, ...run.summary.replaced, ...run.summary.deleted]).toEqual([]);
        for (const h of hosts.slice(0, 3)) expect(onHost(h.address, `grep -c 'vm.swappiness = 11' ${conf} || true`)).toBe("0");

        // Its own key back: the same change goes through everywhere, and the learned keys the first
        // deploy kept give way to the pinned ones (they were the same keys).
        onHost(node2, "cp -a /root/host-keys.kept/ssh_host_ed25519_key* /etc/ssh/ && rm -rf /root/host-keys.kept && systemctl restart ssh");
        const back = await engine("up", STACK, tuned);
        expect(back.summary.failed, back.output.slice(-3000)).toEqual([]);
        // node1's and node3's keys were checked for this very config by the refused run.
        expect(back.checked).toEqual(["node2-host-key-check"]);
        expect(back.summary.deleted.sort()).toEqual(["node1-host-key", "node2-host-key", "node3-host-key"]);
        expect([...back.summary.updated].sort()).toEqual(["node1-base", "node2-base", "node3-base"]);
        expect(back.summary.created).toEqual([]);
        for (const h of hosts.slice(0, 3)) expect(onHost(h.address, `grep -c 'vm.swappiness = 11' ${conf}`)).toBe("1");
        // And back to the stack's own file.
        const pinned = await engine("up", STACK, stackFile("pinned", () => undefined));
        expect(pinned.summary.failed, pinned.output.slice(-3000)).toEqual([]);
        expect([...pinned.summary.updated].sort()).toEqual(["node1-base", "node2-base", "node3-base"]);
        expect(onHost(node2, `grep -c 'vm.swappiness = 10' ${conf}`)).toBe("1");
    });

    it("grows to four nodes, through a run killed halfway and run again: the new node joins everything, existing nodes only learn of it", async () => {
        await sandbox("up", "--nodes", "4");
        hosts = sandboxHosts();
        grownStack = stackFile("grown", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as object[]), { name: "node4", address: hosts[3].address }];
            // A lease timing changed on the running cluster too: Patroni reads it from etcd, not its file.
            ((c["paperless-ha:database"] as Record<string, Record<string, unknown>>).patroni ??= {}).ttl = 12;
        });
        // The operator's machine dies mid-run, as node4's Patroni step starts (after its base and its
        // etcd member, before the app): the engine and its SSH sessions are killed at once. (A fixed
        // 60 s once let the whole run finish first.)
        const startsPatroni = /^\+ db-node4-patroni$/m;
        const crashed = await crashedUp(STACK, grownStack, { line: startsPatroni, ms: 300_000 });
        expect(crashed.output).toMatch(startsPatroni);
        expect(crashed.output).not.toContain("engine-summary");
        report("grow 3->4 killed after", crashed.seconds);
        grown = await engine("up", STACK, grownStack);
        report("grow 3->4 re-run to completion", grown.summary.seconds);
        report("grow 3->4 re-run changes", grown.summary.created.length + grown.summary.updated.length);
        expect(grown.summary.failed, grown.output.slice(-3000)).toEqual([]);
        expect(grown.summary.replaced).toEqual([]);
        expect(grown.summary.deleted).toEqual([]);
        expect(grown.summary.created.filter((n) => !n.includes("node4"))).toEqual([]);
        const membership = new Set([
            ...["node1", "node2", "node3"].flatMap((n) => [`${n}-hosts`, `${n}-firewall`, `gluster-${n}-mount`, `db-${n}-etcd`, `db-${n}-patroni`, `edge-${n}-haproxy`, `edge-${n}-keepalived`]),
            "gluster-volume", "db-bootstrap", "db-dcs", "db-handover", "membership-guard",
            // Prometheus learns of node4; every collector of the new peer count; each Sentinel of the new quorum.
            ...["node1", "node2", "node3"].flatMap((n) => [`monitoring-${n}-metrics`, `redis-${n}`]),
        ]);
        expect(grown.summary.updated.filter((n) => !membership.has(n))).toEqual([]);

        const node4 = hosts[3].address;
        const etcd = etcdMembers(node4);
        expect(etcd.split("\n").filter((l) => l.includes(", started, "))).toHaveLength(4);
        const members = JSON.parse(onHost(node4, "patronictl -c /etc/patroni/config.yml list -f json")) as { Role: string; Member: string }[];
        expect(members.map((m) => m.Member).sort()).toEqual(["node1", "node2", "node3", "node4"]);
        expect(members.filter((m) => m.Role === "Leader")).toHaveLength(1);
        expect((parse(onHost(node4, "patronictl -c /etc/patroni/config.yml show-config")) as { ttl: number }).ttl).toBe(12);
        expect(onHost(node4, "gluster volume info paperless")).toMatch(/Number of Bricks: 1 x 4 = 4/);

        // The new node serves documents stored before it existed, and finds them: its first start
        // built its index from the database. Self-heal fills its brick.
        await expectServed(node4, [uploaded]);
        expect(await search(instance(node4), "test")).toHaveLength(2);
        expect(await healedOnBrick(node4, uploaded, 30)).toBe(uploaded.sha256);

        // Prometheus was reloaded with the new node and scrapes it.
        const prometheus = (grown.summary.outputs.metrics as { prometheus: string }).prometheus;
        const scraped = { 'count(up{node="node4"} == 1)': "2" };
        expect(await promExpect(prometheus, scraped, 20)).toEqual(scraped);
    });

    it("changes nothing on a second run", async () => {
        const again = await engine("up", STACK, grownStack);
        report("no-op re-run", again.summary.seconds);
        expect(again.code).toBe(0);
        expect({ ...again.summary, seconds: 0, outputs: {} }).toMatchObject({ created: [], updated: [], replaced: [], deleted: [], failed: [] });
        expect(again.summary.unchanged).toBe(new StateStore(statePath(STACK)).all().length);
        // Nor are the host keys checked again: nothing would change.
        expect(again.checked).toEqual([]);
    });

    it("rolls a new app image over the nodes one at a time while readers and an uploader see no failure", async () => {
        const rolled = stackFile("rolled", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as object[]), { name: "node4", address: hosts[3].address }];
            (c["paperless-ha:app"] as Record<string, string>).image = NEXT_IMAGE;
        });
        const load = { done: false, reads: 0, uploads: [] as { task: string; sha256: string }[], failures: [] as string[] };
        const started = Date.now();
        const bounded = () => !load.done && Date.now() - started < 900_000;
        // Bounded: four readers through every node's HAProxy (at most 20000 reads), one uploader
        // (a document every 2 s, at most 400), 15 minutes at most.
        const reader = async (w: number) => {
            for (let i = w; bounded() && load.reads < 20_000; i++) {
                load.reads++;
                const h = hosts[i % hosts.length].address;
                const got = await original(via(h), uploaded.id).catch((e: Error) => e.message);
                if (typeof got !== "object") load.failures.push(`read through ${h}: ${got}`);
            }
        };
        const uploader = async () => {
            for (let i = 0; bounded() && i < 400; i++, await sleep(2000)) {
                const h = hosts[i % hosts.length].address;
                const d = textPdf(`rolling ${uniqueWord()}`);
                await upload(via(h), d).then((task) => load.uploads.push({ task, sha256: d.sha256 }), (e: Error) => load.failures.push(`upload through ${h}: ${e.message}`));
            }
        };
        const workers = [...[0, 1, 2, 3].map(reader), uploader()];
        const run = await engine("up", STACK, rolled).finally(() => { load.done = true; });
        await Promise.all(workers);
        report("rolling update (s)", run.summary.seconds);
        report("rolling update reads", load.reads);
        report("rolling update uploads", load.uploads.length);
        report("rolling update failed requests", load.failures.length);
        expect(run.summary.failed, run.output.slice(-3000)).toEqual([]);
        expect(run.summary.replaced.filter((n) => n.endsWith("-paperless")).sort()).toEqual(["node1", "node2", "node3", "node4"].map((n) => `app-${n}-paperless`));
        expect(load.reads).toBeGreaterThan(100);
        expect(load.uploads.length).toBeGreaterThan(10);
        expect(load.failures.slice(0, 5)).toEqual([]);
        // Every upload accepted during the rollout is consumed once and served as uploaded.
        for (const u of load.uploads) expect(sha256(await original(via(hosts[0].address), await consumed(via(hosts[0].address), u.task)))).toBe(u.sha256);
        // One node at a time: each instance was drained from every balancer before it was replaced,
        // and the next drain began only after the one before was back in HAProxy's rotation.
        const at = (line: string) => run.output.indexOf(line);
        for (const n of ["node1", "node2", "node3", "node4"]) {
            expect(at(`~ app-${n}-drain`)).toBeGreaterThan(-1);
            expect(at(`+- app-${n}-paperless`)).toBeGreaterThan(at(`~ app-${n}-drain`));
        }
        for (const [prev, next] of [["node1", "node2"], ["node2", "node3"], ["node3", "node4"]]) {
            expect(at(`~ app-${prev}-in-service`)).toBeGreaterThan(at(`+- app-${prev}-paperless`));
            expect(at(`~ app-${next}-drain`)).toBeGreaterThan(at(`~ app-${prev}-in-service`));
        }
        // How long each step of a node's turn took.
        const took = (step: string) => Math.max(...["node1", "node2", "node3", "node4"].map((n) => {
            const span = stepSpan(run, `app-${n}-${step}`);
            return span.end - span.start;
        }));
        report("rolling update: longest drain (s)", took("drain"));
        report("rolling update: longest replacement (s)", took("paperless"));
        report("rolling update: longest return to service (s)", took("in-service"));
        for (const h of hosts) {
            expect(onHost(h.address, "docker inspect -f '{{.Image}}' paperless-ha-app")).toBe(onHost(h.address, `docker image inspect -f '{{.Id}}' ${NEXT_IMAGE}`));
        }
    });

    it("refuses, before changing anything, a node list that would leave etcd and the volume below three", async () => {
        const tooSmall = stackFile("too-small", (c) => {
            c["paperless-ha:nodes"] = (c["paperless-ha:nodes"] as object[]).slice(0, 1);
            (c["paperless-ha:app"] as Record<string, string>).image = NEXT_IMAGE;
        });
        const state = stateBesidesChecks(STACK);
        const run = await engine("up", STACK, tooSmall);
        expect(run.code).toBe(1);
        expect(run.summary.failed.map((f) => f.name)).toEqual(["membership-guard"]);
        expect(run.summary.failed[0].error).toContain("etcd members: 4 now, 1 after this change");
        expect(run.summary.failed[0].error).toContain("bricks of volume paperless: 4 now, 1 after this change");
        expect(run.summary).toMatchObject({ created: [], updated: [], replaced: [], deleted: [] });
        expect(stateBesidesChecks(STACK)).toBe(state);
    });

    it("shrinks to three by taking node2 off the list: its etcd member, Patroni member, brick and peer go, nothing is lost", async () => {
        const shrunk = stackFile("shrunk", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as { name: string }[]), { name: "node4", address: hosts[3].address }]
                .filter((n) => n.name !== "node2");
            (c["paperless-ha:app"] as Record<string, string>).image = NEXT_IMAGE;
            // The same run puts a certificate of the user's own on the edge.
            publicCert = publicCertificate();
            (c["paperless-ha:edge"] as Record<string, unknown>).certificate = publicCert.chain;
            c["paperless-ha:edgeCertificateKey"] = publicCert.key;
        });
        // The leaving node leads, so the run must hand its leadership over. Patroni switches over only
        // to the synchronous standby: leadership moves along until node2 has it (bounded).
        const roles = () => JSON.parse(onHost(hosts[0].address, "patronictl -c /etc/patroni/config.yml list -f json")) as { Member: string; Role: string }[];
        for (let i = 0; i < 6 && roles().find((m) => m.Role === "Leader")?.Member !== "node2"; i++) {
            const sync = roles().find((m) => m.Role === "Sync Standby")?.Member;
            if (sync) onHost(hosts[0].address, `patronictl -c /etc/patroni/config.yml switchover --candidate ${sync} --force >/dev/null`);
            await new Promise((r) => setTimeout(r, 10_000));
        }
        expect(roles().find((m) => m.Role === "Leader")?.Member).toBe("node2");
        const run = await engine("up", STACK, shrunk);
        report("shrink 4->3", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-3000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.replaced).toEqual([]);
        expect(run.summary.deleted.length).toBeGreaterThan(10);
        expect(run.summary.deleted.filter((n) => !n.includes("node2"))).toEqual([]);
        const [node1, node2, , node4] = hosts.map((h) => h.address);
        const remaining = hosts.filter((h) => h.address !== node2);

        expect(stateSecret(STACK, "db-handover", "stdout").trim()).toBe("handed over from node2");
        const etcd = etcdMembers(node1);
        expect(etcd.split("\n").map((l) => l.split(", ")[2]).sort()).toEqual(["node1", "node3", "node4"]);
        // A stopped Patroni's member key lapses with its TTL.
        let members: string[] = [];
        for (let i = 0; i < 30; i++) {
            const list = JSON.parse(onHost(node4, "patronictl -c /etc/patroni/config.yml list -f json")) as { Member: string; Role: string; State: string }[];
            members = list.map((m) => m.Member).sort();
            if (members.join() === "node1,node3,node4" && list.filter((m) => m.Role === "Leader").length === 1) break;
            await new Promise((r) => setTimeout(r, 2000));
        }
        expect(members).toEqual(["node1", "node3", "node4"]);
        const volume = onHost(node1, "gluster volume info paperless");
        expect(volume).toMatch(/Number of Bricks: 1 x 3 = 3/);
        expect(volume).not.toContain(`${node2}:`);
        expect(onHost(node1, "gluster pool list")).not.toContain(node2);
        for (const h of remaining) expect(onHost(h.address, "grep -c 'server node2' /etc/haproxy/haproxy.cfg || true")).toBe("0");

        // Every document stored before is served by every remaining node.
        for (const h of remaining) await expectServed(h.address, [uploaded]);
        // node2 is torn down and its copies are set aside, not deleted.
        expect(noneActive(node2, ["patroni", "etcd", "haproxy"])).toBe(true);
        expect(containerNames(node2).filter((n) => n.includes("paperless-ha"))).toEqual([]);
        expect(onHost(node2, "findmnt -n /mnt/paperless || echo unmounted")).toBe("unmounted");
        expect(onHost(node2, "ls /srv/gluster/paperless/brick.retained-*/media/documents/originals | wc -l")).not.toBe("0");

        // The certificate of the user's own answers for its name, verified against its CA and let
        // through the Host check; the address itself keeps the cluster CA's certificate.
        expect(await askByName(PUBLIC_NAME, publicCert!.ca)).toEqual({ issuer: "sandbox public CA", status: 200 });
        expect((await request(`https://${VIRTUAL_ADDRESS}/api/documents/?page_size=1`, ca, { auth: adminAuth() })).status).toBe(200);
        for (const h of remaining) expect(onHost(h.address, "stat -c '%a %U' /etc/haproxy/paperless-ha-public.pem")).toBe("600 root");
    });

    it("replaces node4, lost for good, by a new host under its name at a new address: etcd, Patroni, the volume and HAProxy heal, nothing is lost", async () => {
        const lost = hosts[3].address;
        await sandbox("replace", "node4");
        hosts = sandboxHosts();
        const [node1, , , node4] = hosts.map((h) => h.address);
        expect(node4).not.toBe(lost);
        // With one host of three gone the cluster still stores documents (a leader among the two left).
        const docs = [uploaded, await storeWhileLost(node1, lost, "while node4 is lost")];

        const replaced = stackFile("replaced", (c) => {
            c["paperless-ha:nodes"] = [...(c["paperless-ha:nodes"] as { name: string }[]), { name: "node4", address: node4 }]
                .filter((n) => n.name !== "node2");
            (c["paperless-ha:app"] as Record<string, string>).image = NEXT_IMAGE;
        });
        const run = await engine("up", STACK, replaced);
        report("replace lost node4", run.summary.seconds);
        report("replace lost node4 changes", run.summary.updated.length + run.summary.replaced.length);
        expect(run.summary.failed, run.output.slice(-3000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.deleted).toEqual([]);
        // Only node4's own resources are made again; the others re-run in place with the new address.
        expect(run.summary.replaced.filter((n) => !n.includes("node4"))).toEqual([]);
        expect(run.summary.replaced).toContain("app-node4-paperless");

        await expectRejoined(node1, "node4", node4, lost);
        expect(onHost(node1, `grep -c '${node4}:' /etc/haproxy/haproxy.cfg`)).not.toBe("0");
        // This run's config has no certificate of the user's own: the name gets the cluster CA's again, and its files are gone.
        const cluster = new crypto.X509Certificate(ca).subject.split("\n").find((l) => l.startsWith("CN="))!.slice(3);
        expect((await askByName(PUBLIC_NAME)).issuer).toBe(cluster);
        for (const h of [hosts[0], hosts[2]]) expect(onHost(h.address, "ls /etc/haproxy/paperless-ha-public.pem /etc/haproxy/paperless-ha.crt-list 2>/dev/null | wc -l")).toBe("0");

        // A full heal fills the new brick with every document, the one written while node4 was lost too.
        for (const d of docs) expect(await healedOnBrick(node4, d, 45)).toBe(d.sha256);
        await expectServed(node4, docs);
    });

    it("replaces node1, the first node, lost for good: the second node lets its new host into the pool, and it takes back its brick, etcd member, Patroni member, backups and Prometheus", async () => {
        const lost = hosts[0].address;
        // Writes through node3's database route while node1's host dies: the longest gap between
        // acknowledged writes is the database's failover when node1 leads (a standby's loss else).
        const survivor = hosts[2].address;
        const route = `psql "host=127.0.0.1 port=5433 dbname=paperless user=paperless sslmode=verify-full sslrootcert=${HOST_CA_CERT} connect_timeout=2"`;
        const password = stateSecret(STACK, "secrets-db-app", "result");
        const viaRoute = (q: string) => onHost(survivor, `read -r PGPASSWORD; export PGPASSWORD; ${route} -qtAXc "${q}"`, `${password}\n`);
        viaRoute("CREATE TABLE IF NOT EXISTS e2e_rpo (n int PRIMARY KEY, at timestamptz DEFAULT now())");
        const node1Led = patroniList(survivor).some((m) => m.Role === "Leader" && m.Host === lost);
        // node1 holds the cluster's address, so that its death moves the address too: the holder
        // lets go (node1 ranks first of the others), then stands by again.
        const [holder] = holders(hosts);
        if (holder !== "node1") {
            const other = hosts.find((h) => h.name === holder)!.address;
            onHost(other, "systemctl stop keepalived");
            for (let i = 0; i < 50 && holders(hosts).join() !== "node1"; i++) await sleep(200);
            onHost(other, "systemctl start keepalived");
        }
        expect(holders(hosts)).toEqual(["node1"]);
        const survivors = hosts.slice(1);
        const redisPassword = stateSecret(STACK, "secrets-redis", "result");
        const redisOnNode1 = redisMasterVia(survivor, redisPassword) === lost;
        const writer = databaseWriter(survivor, route, password, 90);
        await sleep(5000);
        const killedAt = Date.now() / 1000;
        execFileSync("docker", ["kill", hosts[0].container]);
        const killDone = Date.now() / 1000;
        const edgeBack = answersAt(VIRTUAL_ADDRESS, ca, killedAt * 1000, 30);
        onHost(survivor, "touch /tmp/e2e-killed");
        const out = await writer;
        const writes = writeGaps(out, killedAt, killDone);
        report(`node1 killed (${node1Led ? "the Patroni leader" : "a standby"}): longest gap between acknowledged writes (s)`, writes.longestGap!);
        report("node1 killed: first write after the kill acknowledged after (s)", writes.resumedAfter!);
        report("node1 killed: writes acknowledged", writes.acked.length);
        report("node1 killed: writes refused", writes.refused);
        if (node1Led) {
            const promoted = promotedAt(survivors.map((h) => h.address), () => `journalctl -u patroni -o cat --since @${Math.floor(killedAt)}`, killedAt);
            if (promoted !== undefined) report("node1 killed: a standby promoted itself after (s)", promoted - killedAt);
        }
        const moved = await edgeBack;
        expect(moved, "HAProxy answers at the cluster's address within 30 s of its holder's death").toBeDefined();
        report("node1 killed: the cluster's address answers again after (s)", moved!);
        expect(holders(survivors)).toHaveLength(1);
        expect(writes.beforeKill).toBeGreaterThan(5);
        expect(writes.resumedAfter, out.slice(-2000)).toBeDefined();
        const stored = new Set(viaRoute("SELECT n FROM e2e_rpo").split("\n").map(Number));
        expect(writes.acked.filter((l) => !stored.has(l.n)).map((l) => l.n)).toEqual([]);
        viaRoute("DROP TABLE e2e_rpo");

        await sandbox("replace", "node1");
        hosts = sandboxHosts();
        const [node1, , node3, node4] = hosts.map((h) => h.address);
        expect(node1).not.toBe(lost);
        // With node1 gone the database and the volume carry on: a leader among node3 and node4, and
        // the stored document on node3's mount...
        let leader: Member | undefined;
        for (let i = 0; i < 20 && !leader; i++) {
            leader = patroniList(node3).find((m) => m.Role === "Leader" && m.State === "running" && m.Host !== lost);
            if (!leader) await new Promise((r) => setTimeout(r, 3000));
        }
        expect([node3, node4]).toContain(leader?.Host);
        const file = `/mnt/paperless/media/documents/originals/${String(uploaded.id).padStart(7, "0")}.pdf`;
        expect(onHost(node3, `sha256sum ${file} | cut -d' ' -f1`)).toBe(uploaded.sha256);
        // ...and so does the app: Sentinel moved the Redis master off node1 (when it held it), both
        // survivors' routes reach the same new one, and each survivor serves the stored document.
        // Bounded by a split vote's retry (twice Sentinel's failover-timeout) and then some.
        let masters: string[] = [];
        for (let i = 0; i < 60; i++, await sleep(1000)) {
            masters = [node3, node4].map((a) => redisMasterVia(a, redisPassword));
            if (new Set(masters).size === 1 && [node3, node4].includes(masters[0])) break;
        }
        expect(new Set(masters).size, masters.join(" ")).toBe(1);
        expect([node3, node4]).toContain(masters[0]);
        if (redisOnNode1) {
            const switched = redisSwitchedAt([node3, node4], killedAt);
            expect(switched, "a Sentinel moved the Redis master after node1's death").toBeDefined();
            report("node1 killed: Sentinel moved the Redis master after (s)", switched! - killedAt);
        }
        await expectServed(node3, [uploaded]);
        await expectServed(node4, [uploaded]);

        const replaced = stackFile("replaced-first", (c) => {
            c["paperless-ha:nodes"] = [{ name: "node1", address: node1 }, { name: "node3", address: node3 }, { name: "node4", address: node4 }];
            (c["paperless-ha:app"] as Record<string, string>).image = NEXT_IMAGE;
        });
        const run = await engine("up", STACK, replaced);
        report("replace lost node1", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-3000)).toEqual([]);
        expect(run.summary.created).toEqual([]);
        expect(run.summary.deleted).toEqual([]);
        // node1's own resources are made again; the other instances roll over to the new image.
        expect(run.summary.replaced.filter((n) => !n.includes("node1") && !/^app-node\d-paperless$/.test(n))).toEqual([]);
        expect(stateSecret(STACK, "gluster-pool", "stderr")).toContain(`probing ${node1} into the trusted pool`);

        await expectRejoined(node3, "node1", node1, lost);
        const docs = [uploaded, await storeWhileLost(node1, lost, "after node1 is back")];
        for (const d of docs) expect(await healedOnBrick(node1, d, 45)).toBe(d.sha256);
        await expectServed(node1, docs);
        // The new host stands by for the cluster's address; one node holds it, and it serves.
        expect(noneActive(node1, ["keepalived"])).toBe(false);
        expect(holders(hosts.filter((h) => h.name !== "node2"))).toHaveLength(1);
        await expectServed(VIRTUAL_ADDRESS, docs);

        // The singleton's duties come back with it: a backup runs there, and its Prometheus sees every node.
        onHost(node1, "systemctl start paperless-ha-backup.service || { journalctl -u paperless-ha-backup.service -n 40 --no-pager >&2; exit 1; }");
        const name = onHost(node1, "ls /var/backups/paperless-ha | grep '^2' | tail -n 1");
        expect(onHost(node1, `cd /var/backups/paperless-ha/${name} && sha256sum -c SHA256SUMS`).split("\n").sort()).toEqual(["database.dump: OK", "media.tar: OK"]);
        const seen = { "count(paperless_ha_app_up == 1)": "3", "count(paperless_ha_storage_mounted == 1)": "3", "count(paperless_ha_db_up == 1)": "3" };
        expect(await promExpect(`http://${node1}:9090/`, seen)).toEqual(seen);
    });

    it("performs a major upgrade (a 3.0.0-labelled stand-in): every instance stops before the one migration, then the nodes come back one at a time, each rebuilding its search index", async () => {
        const nodes = hosts.filter((h) => h.name !== "node2");
        // Full-text search is per node: a fresh document is found only where a worker consumed it.
        const word = uniqueWord("major");
        const doc = await store(via(nodes[0].address), textPdf(`before the major upgrade ${word}`));
        const foundBefore = (await Promise.all(nodes.map(async (h) => (await search(instance(h.address), word)).includes(doc.id)))).filter(Boolean).length;
        expect(foundBefore).toBeLessThan(nodes.length);

        const upgraded = stackFile("major", (c) => {
            c["paperless-ha:nodes"] = nodes.map((h) => ({ name: h.name, address: h.address }));
            (c["paperless-ha:app"] as Record<string, string>).image = MAJOR_REHEARSAL_IMAGE;
        });
        const run = await engine("up", STACK, upgraded);
        report("major upgrade (s)", run.summary.seconds);
        expect(run.summary.failed, run.output.slice(-3000)).toEqual([]);
        const span = (name: string) => stepSpan(run, name);
        const migrate = span("app-migrate");
        for (const h of nodes) {
            expect(span(`app-${h.name}-major-stop`).end).toBeLessThanOrEqual(migrate.start);
            expect(stateSecret(STACK, `app-${h.name}-major-stop`, "stderr")).toContain("stopped Paperless-ngx 2.20.15 for the major upgrade to 3.0.0");
            expect(span(`app-${h.name}-paperless`).start).toBeGreaterThanOrEqual(migrate.end);
            expect(stateSecret(STACK, `app-${h.name}-index`, "stderr")).toContain("rebuilding this node's search index after the major upgrade from 2.x to 3.x");
            expect(onHost(h.address, "docker inspect -f '{{.Image}}' paperless-ha-app")).toBe(onHost(h.address, `docker image inspect -f '{{.Id}}' ${MAJOR_REHEARSAL_IMAGE}`));
        }
        // One at a time: each node starts only once the one before is back in HAProxy's rotation.
        const order = [...nodes].sort((a, b) => span(`app-${a.name}-paperless`).start - span(`app-${b.name}-paperless`).start);
        for (let i = 1; i < order.length; i++) {
            expect(span(`app-${order[i].name}-paperless`).start).toBeGreaterThanOrEqual(span(`app-${order[i - 1].name}-in-service`).end);
        }
        report("major upgrade: app down (s)", span(`app-${order[0].name}-in-service`).end - Math.min(...nodes.map((h) => span(`app-${h.name}-major-stop`).start)));
        report("major upgrade: longest index rebuild (s)", Math.max(...nodes.map((h) => span(`app-${h.name}-index`).end - span(`app-${h.name}-index`).start)));

        // Every node's rebuilt index finds the document, and every node serves it and the older ones.
        for (const h of nodes) {
            expect(await search(instance(h.address), word), h.name).toEqual([doc.id]);
            await expectServed(h.address, [uploaded, doc]);
        }
    });

    it("leaks no generated secret on any host: command lines, docker inspect and logs of every container, the journal, files anyone can read", () => {
        // The certificate's key given in the config is a secret too.
        const keyLines = publicCert!.key.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
        const scan = scanForLeaks(STACK, sandboxHosts().map((h) => h.address), keyLines);
        report("leak scan: secrets looked for", scan.secrets);
        report("leak scan: places a secret was found", Object.values(scan.found).flat().length);
        expect(scan.found).toEqual(Object.fromEntries(Object.keys(scan.found).map((a) => [a, []])));
    });

    it("destroys everything it made and sets the documents and database files aside, kept", async () => {
        const down = await engine("destroy", STACK);
        report("destroy", down.summary.seconds);
        expect(down.summary.failed).toEqual([]);
        expect(down.code).toBe(0);
        for (const h of hosts) {
            expect(containerNames(h.address).filter((n) => n.includes("paperless-ha"))).toEqual([]);
            expect(noneActive(h.address, ["patroni", "etcd", "haproxy", "keepalived", "redis-server@paperless-ha", "redis-sentinel@paperless-ha"])).toBe(true);
            expect(holders([h])).toEqual([]);
            expect(onHost(h.address, "findmnt -n /mnt/paperless || echo unmounted")).toBe("unmounted");
            expect(onHost(h.address, "grep -c 'paperless' /etc/fstab || true")).toBe("0");
            expect(onHost(h.address, "grep -c 'paperless-ha' /etc/hosts || true")).toBe("0");
            expect(onHost(h.address, "nft list table inet paperless_ha >/dev/null 2>&1 && echo present || echo gone")).toBe("gone");
            expect(noneActive(h.address, ["prometheus-node-exporter", "paperless-ha-metrics.timer"])).toBe(true);
            expect(onHost(h.address, "ls /srv/gluster/paperless/brick.retained-*/media/documents/originals | wc -l")).not.toBe("0");
            expect(onHost(h.address, "ls -d /var/lib/postgresql/15/paperless-ha.retained-*/PG_VERSION | wc -l")).toBe("1");
        }
        // The backups and the way back stay; only the schedule goes.
        expect(onHost(hosts[0].address, "systemctl is-enabled paperless-ha-backup.timer 2>/dev/null || echo gone")).toBe("gone");
        expect(onHost(hosts[0].address, "ls /var/backups/paperless-ha | grep -c '^2'")).toBe("1");
        expect(onHost(hosts[0].address, "test -x /usr/local/sbin/paperless-ha-restore && echo kept")).toBe("kept");
    });
});
