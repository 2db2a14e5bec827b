import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateConfig } from "../../components/config";
import { dataDirProblem, isCalendar, isCidr, isImageRef } from "../../components/config/rules";
import { renderPostgresConf } from "../../components/database";
import { renderFirewall, renderSysctl } from "../../components/host";
import { renderShellVars } from "../../components/host/quote";
import { hostScript } from "../../components/host/remoteScript";
import { asStack, configProblems as problems, sourced, testHostKey } from "./harness";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n";
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `node${i + 1}`, address: `10.0.0.${11 + i}` }));
const valid = (extra: Record<string, unknown> = {}) => asStack({ nodes: nodes(3), sshPrivateKey: KEY, ...extra });
const swarm = (extra: Record<string, unknown> = {}) => valid({ topology: "swarm", ...extra });
const pwn = "touch${IFS}/tmp/pwn";

// Each would reach a root shell, a unit, an env file, nftables, sysctl or postgresql.conf, take a
// system directory, or break a service; each must be refused naming its key.
const hostile: [string, unknown, string][] = [
    ["shell in the backup directory", valid({ backup: { directory: `/var/backups/x;${pwn}` } }), "backup.directory"],
    ["command substitution in the Gluster mount point", valid({ storage: { gluster: { mountPoint: `/mnt/p$(${pwn})` } } }), "storage.gluster.mountPoint"],
    ["a quote in the SeaweedFS mount point", swarm({ storage: { seaweedfs: { mountPoint: "/mnt/s'w" } } }), "storage.seaweedfs.mountPoint"],
    ["a newline in the SeaweedFS mount point", swarm({ storage: { seaweedfs: { mountPoint: "/mnt/sw\nExecStartPre=/bin/sh" } } }), "storage.seaweedfs.mountPoint"],
    ["a unit line in the SeaweedFS image", swarm({ swarm: { images: { seaweedfs: "chrislusf/seaweedfs:3.80\nExecStartPre=/bin/sh -c id" } } }), "swarm.images.seaweedfs"],
    ["a shell in the app image", valid({ app: { image: "paperless:2; rm -rf /" } }), "app.image"],
    ["an upper-case image name", valid({ app: { image: "Paperless:2" } }), "app.image"],
    ["a space in the etcd image", swarm({ swarm: { images: { etcd: "quay.io/coreos/etcd v3" } } }), "swarm.images.etcd"],
    ["a second sysctl line", valid({ host: { sysctl: { "vm.swappiness": "10\nkernel.modules_disabled = 1" } } }), "host.sysctl.vm.swappiness"],
    ["a sysctl key with a path", valid({ host: { sysctl: { "../../etc/x": 1 } } }), "host.sysctl"],
    ["a sysctl key without a dot", valid({ host: { sysctl: { swappiness: 1 } } }), "host.sysctl"],
    ["a second postgresql.conf line in a key", valid({ database: { settings: { "work_mem = 1\nlisten_addresses": "*" } } }), "database.settings"],
    ["a postgresql.conf key with a space", valid({ database: { settings: { "work mem": "4MB" } } }), "database.settings"],
    ["a newline in a postgresql.conf value", valid({ database: { settings: { work_mem: "4MB'\nssl = off" } } }), "database.settings.work_mem"],
    ["a second line in the time zone", valid({ app: { timeZone: "UTC\nPAPERLESS_DBHOST=evil.example.com" } }), "app.timeZone"],
    ["a time zone with a space", valid({ app: { timeZone: "Europe/Ber lin" } }), "app.timeZone"],
    ["a newline in extra app env", valid({ app: { env: { PAPERLESS_OCR_MODE: "skip\nPAPERLESS_DBHOST=x" } } }), "app.env.PAPERLESS_OCR_MODE"],
    ["nftables syntax in managementCidrs", valid({ firewall: { managementCidrs: ["0.0.0.0/0 } accept; tcp dport { 1-65535"] } }), "firewall.managementCidrs[0]"],
    ["a CIDR with a bad prefix", valid({ firewall: { managementCidrs: ["10.0.0.0/33"] } }), "firewall.managementCidrs[0]"],
    ["a host name in managementCidrs", valid({ firewall: { managementCidrs: ["admin.example.com"] } }), "firewall.managementCidrs[0]"],
    ["no management source at all", valid({ firewall: { managementCidrs: [] } }), "firewall.managementCidrs"],
    ["no managementCidrs while the firewall drops by default (no anywhere default)", valid({ firewall: { managementCidrs: undefined } }), "firewall.managementCidrs"],
    ["/etc as the app data dir", valid({ app: { dataDir: "/etc" } }), "app.dataDir"],
    ["a dir under /etc", valid({ app: { dataDir: "/etc/paperless" } }), "app.dataDir"],
    ["/ as the brick dir", valid({ storage: { gluster: { brickDir: "/" } } }), "storage.gluster.brickDir"],
    ["/var/lib as the SeaweedFS master dir", swarm({ storage: { seaweedfs: { masterDir: "/var/lib" } } }), "storage.seaweedfs.masterDir"],
    ["/etc as the SeaweedFS volume dir", swarm({ storage: { seaweedfs: { volumeDir: "/etc" } } }), "storage.seaweedfs.volumeDir"],
    ["/usr/local as the backup dir", valid({ backup: { directory: "/usr/local" } }), "backup.directory"],
    ["/root as the mount point", valid({ storage: { gluster: { mountPoint: "/root" } } }), "storage.gluster.mountPoint"],
    ["/boot/x as the data dir", valid({ app: { dataDir: "/boot/x" } }), "app.dataDir"],
    ["Docker's own directory", valid({ app: { dataDir: "/var/lib/docker/volumes" } }), "app.dataDir"],
    ["a path climbing out with ..", valid({ app: { dataDir: "/srv/../etc" } }), "app.dataDir"],
    ["a relative path", valid({ backup: { directory: "backups" } }), "backup.directory"],
    ["a filer path with a quote", swarm({ storage: { seaweedfs: { filerPath: "/paperless'x" } } }), "storage.seaweedfs.filerPath"],
    ["an OnCalendar that is prose", valid({ backup: { schedule: "every day at noon" } }), "backup.schedule"],
    ["an OnCalendar with a unit line", valid({ backup: { schedule: "daily\nExecStart=/bin/sh" } }), "backup.schedule"],
    ["a Gluster option with a space in its value", valid({ storage: { gluster: { options: { "performance.cache-size": "1GB; reboot" } } } }), "storage.gluster.options.performance.cache-size"],
    ["a Gluster option name with a semicolon", valid({ storage: { gluster: { options: { "x;reboot": "on" } } } }), "storage.gluster.options"],
    ["a pgactive download over http", valid({ database: { pgactive: { sourceUrl: "http://example.com/pgactive.tar.gz" } } }), "database.pgactive.sourceUrl"],
    ["a shell in the pgactive package", valid({ database: { pgactive: { package: "pgactive; id" } } }), "database.pgactive.package"],
    ["a login with a space", valid({ ssh: { user: "root -oProxyCommand=x" } }), "ssh.user"],
    ["an admin user with a quote", valid({ app: { adminUser: "admin'" } }), "app.adminUser"],
    ["an admin e-mail with a newline", valid({ app: { adminEmail: "a@b.c\nx" } }), "app.adminEmail"],
    ["an app URL that is not http", valid({ app: { url: "javascript:alert(1)" } }), "app.url"],
    ["the SSH port on the app's", valid({ ssh: { port: 8000 } }), "ssh.port"],
    ["the drain agent on node_exporter's port", valid({ edge: { agentPort: 9100 } }), "edge.agentPort"],
    ["Redis on PostgreSQL's port", valid({ app: { redisPort: 5432 } }), "app.redisPort"],
    ["HTTPS on the Docker API's port", valid({ edge: { httpsPort: 2376 } }), "edge.httpsPort"],
    ["a SeaweedFS port whose gRPC port is the filer's", swarm({ storage: { seaweedfs: { masterPort: 8888 } } }), "storage.seaweedfs.filerPort"],
    ["Patroni's API on etcd's port", valid({ database: { engine: "patroni", patroni: { restApiPort: 2379 } } }), "database.patroni.restApiPort"],
    ["PgBouncer on Prometheus's port", swarm({ swarm: { pgbouncerPort: 9090 } }), "swarm.pgbouncerPort"],
    ["a node without its host key", { nodes: nodes(3).map((n, i) => (i === 1 ? n : { ...n, hostKey: testHostKey(n.address) })), sshPrivateKey: KEY }, "nodes[1].hostKey: required"],
    ["an RSA host key (ed25519 or ECDSA only)", valid({ nodes: [{ name: "node1", address: "10.0.0.11", hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7" }, ...nodes(3).slice(1)] }), "nodes[0].hostKey"],
    ["a host key whose blob names another type", valid({ nodes: [{ name: "node1", address: "10.0.0.11", hostKey: testHostKey("x").replace("ssh-ed25519", "ecdsa-sha2-nistp256") }, ...nodes(3).slice(1)] }), "nodes[0].hostKey"],
    ["an escape character in a node address", valid({ nodes: [{ name: "node1", address: "10.0.0.11\u001b[2J" }, ...nodes(3).slice(1)] }), "nodes[0].address"],
];

describe("a stack config that could run code on a host or take a system directory", () => {
    it("has at least 40 cases", () => expect(hostile.length).toBeGreaterThanOrEqual(40));

    it.each(hostile)("refuses %s, naming the key", (_what, raw, key) => {
        const found = problems(raw);
        expect(found.some((p) => p.startsWith(`paperless-ha:${key}`)), `${found.join("\n")}\nshould name: ${key}`).toBe(true);
    });
});

describe("every problem in one run", () => {
    it("names all thirteen mistakes of one file", () => {
        const doc = parse(fs.readFileSync(path.join(__dirname, "fixtures", "thirteen-mistakes.yaml"), "utf8")) as { config: Record<string, unknown> };
        const raw: Record<string, unknown> = Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.slice("paperless-ha:".length), v]));
        const found = problems({ ...raw, sshPrivateKey: KEY });
        const keys = ["nodes[1].name", "nodes[2].clusterAddress", "ssh.port", "app.dataDir", "app.timeZone", "app.image", "backup.directory",
            "backup.schedule", "storage.gluster.mountPoint", "database.settings", "host.sysctl.vm.swappiness", "firewall.managementCidrs[0]", "edge.agentPort"];
        for (const key of keys) expect(found.some((p) => p.startsWith(`paperless-ha:${key}`)), `${found.join("\n")}\nshould name: ${key}`).toBe(true);
        expect(keys).toHaveLength(13);
    });

    it("runs the cross-field checks on every value that parsed while others are broken", () => {
        const found = problems(valid({ nodes: nodes(2), app: { dataDir: "/etc" }, ssh: { port: 5432 } }));
        expect(found).toEqual(expect.arrayContaining([
            expect.stringMatching(/^paperless-ha:app\.dataDir: /),
            expect.stringMatching(/^paperless-ha:nodes: two storage nodes need a third node/),
            expect.stringMatching(/^paperless-ha:ssh\.port: port 5432 is also used by paperless-ha:database\.port/),
        ]));
        // A port that did not parse is not guessed at: its default (8000) collides with nothing.
        const badPort = problems(valid({ app: { port: 70000 }, ssh: { port: 8000 } }));
        expect(badPort.filter((p) => p.includes("also used by"))).toEqual([]);
        expect(badPort.some((p) => p.startsWith("paperless-ha:app.port:"))).toBe(true);
    });
});

describe("host keys", () => {
    it("accept a node's key as its .pub file holds it, or none at all with trust on first use", () => {
        const c = validateConfig(valid({ nodes: nodes(3).map((n) => ({ ...n, hostKey: `${testHostKey(n.address)} root@${n.name}` })) }));
        expect(c.nodes[0].hostKey).toBe(testHostKey("10.0.0.11"));
        expect(validateConfig(asStack({ nodes: nodes(3), sshPrivateKey: KEY, ssh: { trustOnFirstUse: true } })).nodes[0].hostKey).toBeUndefined();
    });
});

describe("the rules", () => {
    it("accept what real configs use", () => {
        for (const ref of ["ghcr.io/paperless-ngx/paperless-ngx:2.20.15", "redis:7.4-bookworm", "paperless-ha/paperless:2.20.15-next",
            "localhost:5000/a/b:1", "quay.io/coreos/etcd:v3.5.17", `redis@sha256:${"a".repeat(64)}`]) expect(isImageRef(ref), ref).toBe(true);
        for (const cal of ["*-*-* 02:30:00", "daily", "Mon..Fri *-*-* 03:00", "Sat,Sun 04:15", "*-*-* 00/6:00:00", "*-*-01 00:00:00 UTC", "hourly"]) {
            expect(isCalendar(cal), cal).toBe(true);
        }
        for (const net of ["0.0.0.0/0", "::/0", "192.0.2.7", "2001:db8::/32"]) expect(isCidr(net), net).toBe(true);
        for (const dir of ["/srv/paperless", "/var/lib/paperless-ha/data", "/mnt/paperless", "/data"]) expect(dataDirProblem(dir), dir).toBeUndefined();
    });
});

describe("the writers", () => {
    // Values the config would refuse, given to the writers directly: they still stay literal.
    const evil = "/x;touch /tmp/paperless-ha-pwn $(touch /tmp/paperless-ha-pwn) `id` '\"\\";

    it("quote every value of an env file a root script sources", () => {
        expect(sourced(renderShellVars({ BACKUP_DIR: evil, EMPTY: "" }))).toMatchObject({ BACKUP_DIR: evil, EMPTY: "" });
        expect(fs.existsSync("/tmp/paperless-ha-pwn")).toBe(false);
        expect(() => renderShellVars({ TZ: "UTC\nPAPERLESS_DBHOST=x" })).toThrow(/control characters/);
        expect(() => renderShellVars({ "A;B": "x" })).toThrow(/invalid variable name/);
    });

    it("keep postgresql.conf, sysctl and nftables to one line per setting", () => {
        expect(renderPostgresConf({ application_name: "a'b\\" })).toContain("application_name = 'a''b\\\\'\n");
        expect(() => renderPostgresConf({ "work_mem = 1\nssl": "x" })).toThrow(/not a PostgreSQL setting name/);
        expect(() => renderPostgresConf({ work_mem: "1\nssl = off" })).toThrow(/control characters/);
        expect(() => renderSysctl({ "vm.swappiness": "1\nkernel.x = 1" })).toThrow(/not a plain key and value/);
        const c = validateConfig(valid());
        c.firewall.managementCidrs = ["0.0.0.0/0 } accept; tcp dport { 1-65535"];
        expect(() => renderFirewall(c, 22)).toThrow(/is not an address or network/);
    });
});

describe("the firewall step", () => {
    // Only refusals run here: an admitted source would load the policy on this machine.
    const firewall = (env: Record<string, string>) => spawnSync("bash", ["-c", `${hostScript("lib")}\n${hostScript("firewall")}`], {
        encoding: "utf8", timeout: 30_000,
        env: { PATH: process.env.PATH, ENABLED: "1", RULESET: renderFirewall(validateConfig(valid()), 22), ...env },
    });

    it("refuses, before loading anything, a policy that would shut out the SSH session it runs in", () => {
        for (const [client, cidrs] of [["198.51.100.7", "192.0.2.0/24 2001:db8::/32"], ["2001:db8:1::5", "192.0.2.0/24 2001:db8::/48"], ["::ffff:10.0.0.9", "10.1.0.0/16"]]) {
            const r = firewall({ MANAGEMENT_CIDRS: cidrs, SSH_CONNECTION: `${client} 50022 10.0.0.11 22` });
            expect(r.status).toBe(1);
            expect(r.stderr).toContain(`does not admit ${client}`);
            expect(r.stderr).toMatch(/Add .* to firewall\.managementCidrs/);
        }
        expect(spawnSync("nft", ["list", "table", "inet", "paperless_ha_check"]).status).not.toBe(0);
    });

    it("asks nftables whether a source lies in the management networks (so a refusal above is not an nft error)", () => {
        const admitted = /^admitted\(\) \{[\s\S]*?\n\}\n(?=# The session)/m.exec(hostScript("firewall"))![0];
        const ask = (cidrs: string, ip: string) => spawnSync("bash", ["-c", `set -euo pipefail\n${admitted}\nadmitted "$1"`, "-", ip],
            { encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH, MANAGEMENT_CIDRS: cidrs } }).status;
        expect(ask("192.0.2.0/24 0.0.0.0/0 2001:db8::/32", "198.51.100.7")).toBe(0);
        expect(ask("192.0.2.0/24 2001:db8::/32", "192.0.2.200")).toBe(0);
        expect(ask("192.0.2.0/24 2001:db8::/32", "2001:db8:ffff::1")).toBe(0);
        expect(ask("10.0.0.0/8", "::ffff:10.1.2.3")).toBe(0);
        expect(ask("192.0.2.0/24 2001:db8::/32", "192.0.3.1")).toBe(1);
        expect(ask("192.0.2.0/24", "2001:db8::1")).toBe(1);
        expect(ask("", "192.0.2.1")).toBe(1);
    });
});
