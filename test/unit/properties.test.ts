/**
 * Properties of the pure planners over generated inputs (fast-check): the volume's brick plan, and
 * the ports a config opens against the ports it reserves. The key residues are checked the same way
 * in a real PostgreSQL (rendered.test.ts).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError, ParsedConfig, portUsers } from "../../components/config";
import { clusterPorts, publicPorts } from "../../components/host/render";
import { glusterPlan } from "../../components/storage";
import { configOf } from "./harness";

/**
 * 1, or 3 to 7 nodes (two alone would split brain); of three, one may be the arbiter beside two data
 * nodes (not the first, which runs the singletons).
 */
const nodeLists = fc.constantFrom(1, 3, 4, 5, 6, 7).chain((n) => fc.record({
    n: fc.constant(n),
    arbiterAt: n === 3 ? fc.option(fc.integer({ min: 1, max: 2 }), { nil: undefined }) : fc.constant(undefined),
}));

describe("the volume's brick plan", () => {
    it("has one brick per node, data nodes in list order and the arbiter last; quorum exactly when replicated", () => {
        fc.assert(fc.property(nodeLists, ({ n, arbiterAt }) => {
            const nodes = Array.from({ length: n }, (_, i) => ({
                name: `n${i + 1}`, address: `10.0.0.${i + 1}`, ...(i === arbiterAt ? { roles: ["arbiter"] } : {}),
            }));
            const c = configOf({ sshPrivateKey: "k", nodes, database: { pgactive: { maxNodes: 8 } } });
            const p = glusterPlan(c);
            const data = nodes.filter((_, i) => i !== arbiterAt).map((x) => `${x.address}:/srv/gluster/paperless/brick`);
            const arbiter = arbiterAt === undefined ? [] : [`${nodes[arbiterAt].address}:/srv/gluster/paperless/brick`];
            expect(p.bricks).toEqual([...data, ...arbiter]);
            expect(p.arbiter).toBe(arbiterAt !== undefined);
            expect(p.quorumRatio).toBe(n > 1 ? "51%" : "");
            expect(p.options["cluster.quorum-type"]).toBe(n > 1 ? "auto" : undefined);
        }), { numRuns: 60 });
    });
});

/** Ports drawn from a small pool, so that generated configs often ask for one port twice. */
const port = fc.constantFrom(22, 80, 443, 2222, 2375, 5432, 5433, 6379, 6380, 8000, 8080, 8404, 8443, 9100, 9187, 9188, 9333, 18080);

const configs = fc.record({
    swarm: fc.boolean(),
    patroni: fc.boolean(),
    edge: fc.boolean(),
    tls: fc.boolean(),
    monitoring: fc.boolean(),
    seaweed: fc.boolean(),
    ports: fc.record({
        ssh: port, dockerApi: port, db: port, app: port, redis: port, router: port, rest: port,
        http: port, https: port, agent: port, nodeExporter: port, pgExporter: port, pgbouncer: port, exporter: port,
    }),
});

describe("the ports a config opens", () => {
    it("are each reserved by the config (a port two services want is refused), and never the management ports", () => {
        let accepted = 0;
        fc.assert(fc.property(configs, (g) => {
            const p = g.ports;
            const raw = {
                sshPrivateKey: "k",
                topology: g.swarm ? "swarm" : "classic",
                nodes: [1, 2, 3].map((i) => ({ name: `n${i}`, address: `10.0.0.${i}` })),
                ssh: { port: p.ssh },
                host: { dockerApiPort: p.dockerApi },
                app: { port: p.app, redisPort: p.redis },
                database: g.swarm || g.patroni
                    ? { engine: "patroni", port: p.db, patroni: { restApiPort: p.rest, ...(g.swarm ? {} : { routerPort: p.router }) } }
                    : { engine: "pgactive", port: p.db, pgactive: { routerPort: p.router } },
                edge: { enabled: g.edge, tls: g.tls, httpPort: p.http, httpsPort: p.https, agentPort: p.agent },
                monitoring: { enabled: g.monitoring, nodeExporterPort: p.nodeExporter, postgresExporterPort: p.pgExporter },
                ...(g.swarm ? { swarm: { pgbouncerPort: p.pgbouncer, exporterPort: p.exporter }, storage: { backend: g.seaweed ? "seaweedfs" : "glusterfs" } } : {}),
            };
            let c;
            try {
                c = configOf(raw);
            } catch (e) {
                if (!(e instanceof ConfigError)) throw e;
                // Refused: then for a reason the config gives.
                expect(e.problems.length).toBeGreaterThan(0);
                return;
            }
            accepted++;
            const reserved = portUsers(c as unknown as ParsedConfig, c.database.engine);
            for (const [port, users] of reserved) expect(users.length, `port ${port}: ${users.map((u) => u.what).join(", ")}`).toBe(1);
            const opened = [...clusterPorts(c), ...publicPorts(c)];
            for (const r of opened) {
                const to = r.to ?? r.from;
                // Wide ranges (Gluster's brick ports) are the daemons' own, not configurable.
                if (to - r.from > 8) continue;
                for (let q = r.from; q <= to; q++) expect(reserved.has(q), `port ${q} is opened but reserved by nothing`).toBe(true);
            }
            const flat = opened.flatMap((r) => Array.from({ length: (r.to ?? r.from) - r.from + 1 }, (_, i) => r.from + i));
            expect(flat).not.toContain(c.ssh.port);
            expect(flat).not.toContain(c.host.dockerApiPort);
            const pub = publicPorts(c).map((r) => r.from);
            for (const internal of [c.database.port, c.app.redisPort]) expect(pub).not.toContain(internal);
        }), { numRuns: 400 });
        // The generator must reach the interesting side too.
        expect(accepted).toBeGreaterThan(10);
    });
});
