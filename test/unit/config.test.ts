import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { pgactiveSourceSha256, readStackConfig, validateConfig } from "../../components/config";
import { asStack, configProblems as problems, stackConfig, TEST_MANAGEMENT, testHostKey } from "./harness";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n";
const nodes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `node${i + 1}`, address: `10.0.0.${11 + i}` }));
const valid = (extra: Record<string, unknown> = {}) => asStack({ nodes: nodes(3), sshPrivateKey: KEY, ...extra });

describe("defaults", () => {
    it("fills every option with its documented default", () => {
        const c = validateConfig(valid());
        expect(c.topology).toBe("classic");
        expect(c.ssh).toEqual({ user: "root", port: 22, dialErrorLimit: 60, trustOnFirstUse: false });
        expect(c.database).toMatchObject({ engine: "pgactive", postgresVersion: "15", name: "paperless", user: "paperless", replicationUser: "pgactive", port: 5432, settings: {} });
        expect(c.database.pgactive).toMatchObject({ maxNodes: 4, install: "source", version: "2.1.8", allowUnverifiedSource: false });
        // The default release is built only if its tarball has the known checksum.
        expect(pgactiveSourceSha256(c.database.pgactive)).toBe("d5065f6ea64ad3dcbe87ef55092e733d35e8171640c78b0110eba3f99f8c7d93");
        expect(c.storage).toMatchObject({
            gluster: { volume: "paperless", brickDir: "/srv/gluster/paperless", mountPoint: "/mnt/paperless", options: {} },
            retainOnDestroy: true,
        });
        expect(c.storage.seaweedfs).toMatchObject({ replication: "001", mountPoint: "/mnt/seaweedfs", database: "seaweedfs", maxOpenConnections: 20, maxIdleConnections: 5 });
        expect(c.swarm).toMatchObject({ managers: 3, pgbouncerPort: 6432, exporterPort: 9187, convergeTimeout: 600 });
        expect(c.swarm.images.patroni).toBe("paperless-ha/patroni:15-1");
        expect(c.app).toMatchObject({ port: 8000, redisPort: 6379, timeZone: "UTC", adminUser: "admin", dataDir: "/var/lib/paperless-ha/data" });
        expect(c.edge).toEqual({ enabled: true, httpPort: 80, httpsPort: 443, tls: true, hostnames: [], agentPort: 8405, virtualRouterId: 51 });
        expect(c.firewall).toEqual({ enabled: true, managementCidrs: TEST_MANAGEMENT });
        expect(c.host).toEqual({ timeSync: true, sysctl: {}, dockerApiPort: 2376 });
    });

    it("derives ids, cluster addresses and roles", () => {
        const c = validateConfig(valid({ nodes: [
            { name: "a", address: "a.example.com", clusterAddress: "10.1.0.1" },
            { name: "b", address: "10.1.0.2", roles: ["singleton"] },
            { name: "c", address: "10.1.0.3", id: 4, roles: ["redis"] },
        ] }));
        expect(c.nodes.map((n) => [n.name, n.id, n.clusterAddress])).toEqual([["a", 1, "10.1.0.1"], ["b", 2, "10.1.0.2"], ["c", 4, "10.1.0.3"]]);
        expect(c.first.name).toBe("a");
        expect(c.singleton.name).toBe("b");
        expect(c.redis.name).toBe("c");
        expect(c.arbiter).toBeUndefined();
    });

    it("defaults the singleton and redis roles to the first node", () => {
        const c = validateConfig(valid());
        expect([c.singleton.name, c.redis.name, c.first.name]).toEqual(["node1", "node1", "node1"]);
    });

    it("accepts two data nodes with an arbiter", () => {
        const c = validateConfig(valid({ nodes: [...nodes(2), { name: "witness", address: "10.0.0.99", roles: ["arbiter"] }] }));
        expect(c.dataNodes.map((n) => n.name)).toEqual(["node1", "node2"]);
        expect(c.arbiter?.name).toBe("witness");
    });

    it("builds another pgactive release with the checksum given, or unchecked only when told so", () => {
        const sha = "a".repeat(64);
        expect(pgactiveSourceSha256(validateConfig(valid({ database: { pgactive: { version: "2.1.7", sourceSha256: sha } } })).database.pgactive)).toBe(sha);
        const unchecked = validateConfig(valid({ database: { pgactive: { version: "2.1.7", allowUnverifiedSource: true } } })).database.pgactive;
        expect([pgactiveSourceSha256(unchecked), unchecked.allowUnverifiedSource]).toEqual([undefined, true]);
        // A package or a preinstalled extension needs no tarball.
        expect(() => validateConfig(valid({ database: { pgactive: { version: "2.1.7", install: "package" } } }))).not.toThrow();
    });

    it("defaults Patroni's timing within its rule and ignores max_nodes for it", () => {
        const c = validateConfig(valid({ nodes: nodes(6), database: { engine: "patroni" } }));
        // The same lease on both topologies: a dead leader's lease runs out within eight seconds.
        expect(c.database.patroni).toEqual({ scope: "paperless", ttl: 8, loopWait: 1, retryTimeout: 3, synchronous: true, restApiPort: 8008, routerPort: 5433 });
        expect(c.dataNodes).toHaveLength(6);
    });

    it("runs Patroni under swarm with the same short lease, and an odd number of managers", () => {
        const c = validateConfig(valid({ topology: "swarm", nodes: nodes(5) }));
        expect(c.database.engine).toBe("patroni");
        expect(c.database.patroni).toMatchObject({ ttl: 8, loopWait: 1, retryTimeout: 3 });
        expect(c.managers.map((n) => n.name)).toEqual(["node1", "node2", "node3"]);
        expect(validateConfig(valid({ topology: "swarm", nodes: nodes(2) })).managers.map((n) => n.name)).toEqual(["node1"]);
        expect(validateConfig(valid({ topology: "swarm", nodes: nodes(5), swarm: { managers: 5 } })).managers).toHaveLength(5);
    });

    it("keeps the SSH key out of the resolved config", () => {
        expect(JSON.stringify(validateConfig(valid()))).not.toContain("PRIVATE KEY");
    });
});

describe("rejects", () => {
    const cases: [string, unknown, string][] = [
        ["no nodes", valid({ nodes: [] }), "paperless-ha:nodes: at least one node is required"],
        ["missing nodes", { sshPrivateKey: KEY }, "paperless-ha:nodes: required"],
        ["duplicate names", valid({ nodes: [...nodes(3), { name: "node2", address: "10.0.0.20" }] }), "paperless-ha:nodes[3].name: duplicate node name 'node2' (also nodes[1])"],
        ["duplicate addresses", valid({ nodes: [...nodes(3), { name: "node4", address: "10.0.0.12" }] }), "paperless-ha:nodes[3].address: duplicate address '10.0.0.12' (also nodes[1])"],
        ["an address that is neither IP nor hostname", valid({ nodes: [{ name: "node1", address: "300.1.1.1" }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[0].address: must be an IPv4/IPv6 address or a DNS host name"],
        ["an address with spaces", valid({ nodes: [{ name: "node1", address: "my host" }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[0].address: must be an IPv4/IPv6 address or a DNS host name"],
        ["a host name without a cluster IP", valid({ nodes: [{ name: "node1", address: "n1.example.com" }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[0].clusterAddress: required because address 'n1.example.com' is a host name"],
        ["an unknown topology", valid({ topology: "kubernetes" }), "paperless-ha:topology: Invalid option"],
        ["pgactive under swarm", valid({ topology: "swarm", database: { engine: "pgactive" } }), "paperless-ha:database.engine: the swarm topology runs Patroni"],
        ["an arbiter under swarm", valid({ topology: "swarm", nodes: [...nodes(2), { name: "w", address: "10.0.0.99", roles: ["arbiter"] }] }), "paperless-ha:nodes[2].roles: the swarm topology has no arbiter"],
        ["GlusterFS on two swarm nodes", valid({ topology: "swarm", nodes: nodes(2), storage: { backend: "glusterfs" } }), "paperless-ha:storage.backend: GlusterFS on two swarm nodes is replica 2 without an arbiter"],
        ["SeaweedFS under classic", valid({ storage: { backend: "seaweedfs" } }), "paperless-ha:storage.backend: SeaweedFS runs in the swarm topology only"],
        ["an even number of managers", valid({ topology: "swarm", swarm: { managers: 2 } }), "paperless-ha:swarm.managers: must be odd"],
        ["more idle than open filer connections", valid({ topology: "swarm", storage: { seaweedfs: { maxIdleConnections: 30 } } }), "paperless-ha:storage.seaweedfs.maxIdleConnections: must not exceed maxOpenConnections"],
        ["swarm Patroni timing that can lose a healthy leader", valid({ topology: "swarm", database: { patroni: { loopWait: 4 } } }), "paperless-ha:database.patroni.ttl: loopWait + 2 * retryTimeout (10) must not exceed ttl (8)"],
        ["two nodes without an arbiter", valid({ nodes: nodes(2) }), "paperless-ha:nodes: two storage nodes need a third node with role 'arbiter'"],
        ["an arbiter beside three data nodes", valid({ nodes: [...nodes(3), { name: "w", address: "10.0.0.99", roles: ["arbiter"] }] }), "paperless-ha:nodes[3].roles: an arbiter is only used with exactly two data nodes (there are 3)"],
        ["more database nodes than max_nodes", valid({ nodes: nodes(5) }), "paperless-ha:database.pgactive.maxNodes: 5 database nodes exceed pgactive.max_nodes (4)"],
        ["a node id above max_nodes", valid({ nodes: [{ name: "node1", address: "10.0.0.11", id: 9 }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[0].id: id 9 exceeds database.pgactive.maxNodes (4)"],
        ["duplicate ids", valid({ nodes: [{ name: "node1", address: "10.0.0.11", id: 2 }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[1].id: duplicate node id 2"],
        ["no SSH key", { nodes: nodes(3) }, "paperless-ha:sshPrivateKey: no SSH key"],
        ["two SSH keys", valid({ ssh: { privateKeyPath: "/k" } }), "paperless-ha:ssh.privateKeyPath: set either"],
        ["an empty image", valid({ app: { image: "" } }), "paperless-ha:app.image: must be a Docker image reference"],
        ["a blank app image", valid({ app: { image: "   " } }), "paperless-ha:app.image: must be a Docker image reference"],
        ["an empty pgactive version", valid({ database: { pgactive: { version: "" } } }), "paperless-ha:database.pgactive.version: must be a release number"],
        ["a pgactive release with no known checksum to build unchecked", valid({ database: { pgactive: { version: "2.1.7" } } }),
            "paperless-ha:database.pgactive.sourceSha256: required to build pgactive 2.1.7: no checksum is known for that release (known: 2.1.8)"],
        ["an empty PostgreSQL version", valid({ database: { postgresVersion: "" } }), "paperless-ha:database.postgresVersion: must be a PostgreSQL major version"],
        ["a role held twice", valid({ nodes: nodes(3).map((n) => ({ ...n, roles: ["singleton"] })) }), "paperless-ha:nodes[1].roles: role 'singleton' may be held by one node only"],
        ["an arbiter with other roles", valid({ nodes: [...nodes(2), { name: "w", address: "10.0.0.99", roles: ["arbiter", "redis"] }] }), "paperless-ha:nodes[2].roles: an arbiter holds no other role"],
        ["an unknown key", valid({ databse: {} }), "paperless-ha:databse: unknown key"],
        ["an unknown nested key", valid({ app: { imgae: "x" } }), "paperless-ha:app.imgae: unknown key"],
        ["a bad port", valid({ ssh: { port: 70000 } }), "paperless-ha:ssh.port:"],
        ["a relative mount point", valid({ storage: { gluster: { mountPoint: "mnt" } } }), "paperless-ha:storage.gluster.mountPoint: must be an absolute path"],
        ["Patroni timing that can lose a healthy leader", valid({ database: { engine: "patroni", patroni: { ttl: 10, loopWait: 5, retryTimeout: 5 } } }), "paperless-ha:database.patroni.ttl: loopWait + 2 * retryTimeout (15) must not exceed ttl (10)"],
        ["an unknown database engine", valid({ database: { engine: "mysql" } }), "paperless-ha:database.engine: Invalid option"],
        ["a bad node name", valid({ nodes: [{ name: "Node_1", address: "10.0.0.11" }, ...nodes(3).slice(1)] }), "paperless-ha:nodes[0].name: must be 1-32 lowercase letters"],
    ];
    it.each(cases)("%s", (_what, raw, message) => {
        const found = problems(raw);
        expect(found.some((p) => p.startsWith(message)), `${found.join("\n")}\nshould include: ${message}`).toBe(true);
    });

    it("reports every problem at once", () => {
        const found = problems({
            topology: "swarm",
            database: { engine: "pgactive" },
            nodes: [{ name: "node1", address: "bad address" }, { name: "node1", address: "10.0.0.2" }],
            app: { image: "" },
        });
        expect(found).toEqual(expect.arrayContaining([
            expect.stringContaining("paperless-ha:nodes[0].address"),
            expect.stringContaining("paperless-ha:nodes[1].name: duplicate node name 'node1'"),
            expect.stringContaining("paperless-ha:app.image"),
            expect.stringContaining("paperless-ha:database.engine"),
            expect.stringContaining("paperless-ha:sshPrivateKey"),
        ]));
        expect(found.length).toBeGreaterThanOrEqual(5);
    });

    it("wants management sources named while the firewall is on, and not when it is off", () => {
        const bare = { nodes: nodes(3).map((n) => ({ ...n, hostKey: testHostKey(n.address) })), sshPrivateKey: KEY };
        expect(problems(bare)).toEqual([expect.stringMatching(/^paperless-ha:firewall\.managementCidrs: required while the firewall is enabled/)]);
        expect(validateConfig({ ...bare, firewall: { enabled: false } }).firewall.managementCidrs).toBeUndefined();
    });

    it("says how many problems there are in the message", () => {
        expect(() => validateConfig({})).toThrow(/invalid stack config \(3 problems\)/);
    });
});

describe("readStackConfig", () => {
    it("reads structured values from their JSON and ignores other namespaces", () => {
        const raw = readStackConfig({ ...stackConfig(valid()), "aws:region": "eu-west-1" });
        expect(raw.nodes).toEqual(valid().nodes);
        expect(raw.sshPrivateKey).toBe(KEY);
        expect(Object.keys(raw).sort()).toEqual(["firewall", "nodes", "sshPrivateKey"]);
        expect(readStackConfig({ "paperless-ha:topology": "classic" })).toEqual({ topology: "classic" });
    });
});

describe("the stack files in the repository", () => {
    const root = path.join(__dirname, "..", "..");
    const files = fs.readdirSync(root).filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f));

    it.each(files)("%s validates", (file) => {
        const doc = parse(fs.readFileSync(path.join(root, file), "utf8")) as { config: Record<string, unknown> };
        const raw = Object.fromEntries(Object.entries(doc.config)
            .filter(([k]) => k.startsWith("paperless-ha:"))
            .map(([k, v]) => [k.slice("paperless-ha:".length), v]));
        // A stack without a key file keeps its key as the secret sshPrivateKey, which is not in the file.
        const c = validateConfig(raw.ssh && (raw.ssh as Record<string, unknown>).privateKeyPath ? raw : { ...raw, sshPrivateKey: KEY });
        expect(c.nodes.length).toBeGreaterThan(0);
    });

    it("include the dev, prod and swarm examples", () => {
        expect(files).toEqual(expect.arrayContaining(["Pulumi.dev.yaml", "Pulumi.prod.yaml", "Pulumi.swarm.yaml"]));
    });
});
