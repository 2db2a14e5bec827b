import { describe, expect, it } from "vitest";
import { assess, NodeFacts, statusEnv } from "../../tools/status";
import { baseConfig, configOf, swarmConfig } from "./harness";

const c = configOf({ ...baseConfig(3), database: { engine: "patroni" } });
const members = JSON.stringify([
    { Member: "node1", Role: "Leader", State: "running" },
    { Member: "node2", Role: "Sync Standby", State: "streaming", "Lag in MB": 0 },
    { Member: "node3", Role: "Replica", State: "streaming", "Lag in MB": 0 },
]);
const healthy = (name: string): NodeFacts => ({
    load: "0.10", disk_used: "40%", mount: "ok", app: "200", bricks_online: "3", bricks_total: "3", heal_pending: "0", split_brain: "0", db_members: members,
    sentinel_master: "10.0.0.11 6379", redis_role: name === "node1" ? "master" : "slave", redis_route: "node1",
    ...(name === "node1" ? { backup_age_hours: "3.5", backup_last: "20261122T023000Z", backup_timer: "active" } : {}),
});
const facts = (change: (f: Record<string, NodeFacts | Error>) => void = () => undefined) => {
    const f: Record<string, NodeFacts | Error> = Object.fromEntries(["node1", "node2", "node3"].map((n) => [n, healthy(n)]));
    change(f);
    return f;
};

describe("status", () => {
    it("finds nothing wrong with a healthy cluster and says what it saw", () => {
        const { lines, problems } = assess(c, facts());
        expect(problems).toEqual([]);
        expect(lines).toContain("storage: volume paperless: 3/3 bricks online, 0 entries to heal, 0 in split-brain");
        expect(lines).toContain("database: node1 Leader (running), node2 Sync Standby (streaming), node3 Replica (streaming)");
        expect(lines).toContain("backup: newest 20261122T023000Z, 3.5 h old (overdue after 26 h), timer active");
        expect(lines).toContain("redis: master node1, replicas node2, node3; 3 of 3 Sentinels agree");
    });

    it("asks Redis of every node: the master the Sentinels name, each Redis's role, and where each route sends Paperless", () => {
        const env = statusEnv(c, c.nodes[1]);
        expect([env.REDIS_CONF_DIR, env.SENTINEL_PORT, env.REDIS_MASTER_NAME, env.REDIS_PORT]).toEqual(["/etc/paperless-ha/redis", "26379", "paperless", "6379"]);
        const redis = (change: Record<string, Partial<NodeFacts>>) => assess(c, facts((f) => {
            for (const [n, v] of Object.entries(change)) f[n] = { ...(f[n] as NodeFacts), ...v } as NodeFacts;
        }));
        // A failover seen through: node2 promoted, every Sentinel and route following it.
        const moved = redis(Object.fromEntries(["node1", "node2", "node3"].map((n) => [n, { sentinel_master: "10.0.0.12 6379", redis_route: "node2", redis_role: n === "node2" ? "master" : "slave" }])));
        expect(moved.problems).toEqual([]);
        expect(moved.lines).toContain("redis: master node2, replicas node1, node3; 3 of 3 Sentinels agree");
        expect(redis({ node3: { sentinel_master: "unreachable", redis_role: "down", redis_route: "none" } }).problems).toEqual([
            "node3: Sentinel does not answer", "node3: Redis does not answer", "node3: its Redis route reaches no master",
        ]);
        expect(redis({ node2: { sentinel_master: "10.0.0.12 6379" } }).problems).toEqual(["redis: the Sentinels name different masters: node1 -> node1, node2 -> node2, node3 -> node1"]);
        expect(redis({ node2: { redis_role: "master" } }).problems).toEqual(["redis: 2 Redis say they are the master (node1, node2)"]);
        expect(redis({ node1: { redis_role: "slave" } }).problems).toEqual(["redis: the Sentinels name node1, whose Redis does not say it is the master"]);
        expect(redis({ node2: { redis_route: "node3" }, node3: { redis_route: "node1 node3" } }).problems).toEqual([
            "node2: its Redis route sends Paperless to node3, not the master node1", "node3: its Redis route passes node1 and node3 as the master at once",
        ]);
        expect(redis(Object.fromEntries(["node1", "node2", "node3"].map((n) => [n, { sentinel_master: "none" }]))).problems).toEqual([
            "node1: Sentinel names no master", "node2: Sentinel names no master", "node3: Sentinel names no master", "redis: no Sentinel names a master",
        ]);
    });

    it("names each problem: a lost node, a missing mount, heals, split-brain, two leaders, lag, an overdue backup", () => {
        const two = JSON.stringify([{ Member: "node1", Role: "Leader", State: "running" }, { Member: "node2", Role: "Leader", State: "running" }, { Member: "node3", Role: "Replica", State: "streaming", "Lag in MB": 70 }]);
        const { problems } = assess(c, facts((f) => {
            f.node3 = new Error("ssh: connect to host 10.0.0.13 port 22: Connection refused");
            f.node2 = { ...healthy("node2"), mount: "missing", app: "000", split_brain: "2" };
            f.node1 = { ...healthy("node1"), heal_pending: "5", bricks_online: "2", db_members: two, backup_age_hours: "30.0" };
        }));
        expect(problems).toEqual([
            "node2: shared volume not mounted",
            "node2: app does not answer",
            "node2: 2 entries in split-brain",
            "node3 unreachable: ssh: connect to host 10.0.0.13 port 22: Connection refused",
            "storage: 2 of 3 bricks online",
            "storage: 5 entries waiting to heal",
            "database: 2 leaders",
            "database: node3 lags 70 MB (more than 64 MB)",
            "backup: newest is 30.0 h old",
        ]);
    });

    it("calls a volume no node could read a problem, with what gluster said, rather than leaving the storage line out", () => {
        const unread = (f: Record<string, NodeFacts | Error>) => {
            for (const n of ["node1", "node2", "node3"]) {
                const { bricks_online: _o, bricks_total: _t, heal_pending: _h, split_brain: _s, ...rest } = f[n] as NodeFacts;
                f[n] = n === "node3" ? new Error("ssh: timed out") : { ...rest, ...(n === "node1" ? { volume_error: "Connection failed. Please check if gluster daemon is operational." } : {}) };
            }
        };
        const { lines, problems } = assess(c, facts(unread));
        expect(lines.filter((l) => l.startsWith("storage:"))).toEqual([]);
        expect(problems).toContain("storage: no node could read volume paperless (node1: Connection failed. Please check if gluster daemon is operational.)");
    });

    it("holds lag to the alert's threshold, and checks the backup on swarm too", () => {
        const lagging = (mb: number) => JSON.stringify([{ Member: "node1", Role: "Leader", State: "running" }, { Member: "node2", Role: "Replica", State: "streaming", "Lag in MB": mb }, { Member: "node3", Role: "Replica", State: "streaming", "Lag in MB": 0 }]);
        const strict = configOf({ ...baseConfig(3), database: { engine: "patroni" }, monitoring: { maxReplicationLagBytes: 8 * 2 ** 20 } });
        expect(assess(strict, facts((f) => { f.node1 = { ...healthy("node1"), db_members: lagging(8) }; })).problems).toEqual([]);
        expect(assess(strict, facts((f) => { f.node1 = { ...healthy("node1"), db_members: lagging(9) }; })).problems).toEqual(["database: node2 lags 9 MB (more than 8 MB)"]);
        const swarm = configOf(swarmConfig(3));
        const stale = assess(swarm, facts((f) => { f.node1 = { ...healthy("node1"), backup_age_hours: "27.5", backup_timer: "inactive" }; }));
        expect(stale.lines).toContain("backup: newest 20261122T023000Z, 27.5 h old (overdue after 26 h), timer inactive");
        expect(stale.problems).toEqual(["backup: timer inactive on node1", "backup: newest is 27.5 h old"]);
    });

    it("shows pgactive's group, the conflicts each node resolved and the one writer; a node not ready, or routers that disagree, is a problem", () => {
        const active = configOf(baseConfig(3));
        const node = (name: string, pgactive: string, conflicts: string, writer = "node1", stray = "0"): NodeFacts => {
            const { db_members: _m, ...rest } = healthy(name);
            return { ...rest, pgactive, pgactive_conflicts: conflicts, pgactive_writer: writer, pgactive_stray_slots: stray };
        };
        const ready = Object.fromEntries(["node1", "node2", "node3"].map((n, i) => [n, node(n, "node1:r,node2:r,node3:r", String(i))]));
        const { lines, problems } = assess(active, ready);
        expect(problems).toEqual([]);
        expect(lines).toContain("database: pgactive node1:r,node2:r,node3:r; conflicts resolved: node1 0, node2 1, node3 2");
        const joining = assess(active, { ...ready, node3: node("node3", "node1:r,node2:r,node3:i", "0") });
        expect(joining.problems).toEqual(["node3: pgactive nodes node1:r,node2:r,node3:i, where every listed node should be ready (r): node1, node2, node3"]);
        const missing = assess(active, { ...ready, node2: node("node2", "node1:r,node2:r", "1") });
        expect(missing.problems).toEqual(["node2: pgactive nodes node1:r,node2:r, where every listed node should be ready (r): node1, node2, node3"]);
        const stray = assess(active, { ...ready, node2: node("node2", "node1:r,node2:r,node3:r", "1", "node1", "1") });
        expect(stray.problems).toEqual(["node2: 1 pgactive replication slot(s) for no member of the group, holding WAL until dropped (README, Status)"]);
        expect(lines).toContain("database: writer node1");
        const split = assess(active, { ...ready, node3: node("node3", "node1:r,node2:r,node3:r", "0", "node3") });
        expect(split.problems).toEqual(["database: the nodes' routers send writes to node1 -> node1, node2 -> node1, node3 -> node3"]);
        expect(assess(active, Object.fromEntries(["node1", "node2", "node3"].map((n) => [n, node(n, "node1:r,node2:r,node3:r", "0", "none")]))).problems)
            .toEqual(["database: the nodes' routers send writes to node1 -> none, node2 -> none, node3 -> none"]);
    });

    it("says which node holds the virtual address; none, two at once, or a node whose keepalived is down is a problem", () => {
        const vip = configOf({ ...baseConfig(3), database: { engine: "patroni" }, edge: { virtualAddress: "10.0.0.100" } });
        expect(statusEnv(vip, vip.nodes[0]).VIRTUAL_ADDRESS).toBe("10.0.0.100");
        expect(statusEnv(c, c.nodes[0]).VIRTUAL_ADDRESS).toBe("");
        const edge = (held: string[], keepalived: Record<string, string> = {}) => facts((f) => {
            for (const n of ["node1", "node2", "node3"]) {
                f[n] = { ...(f[n] as NodeFacts), keepalived: keepalived[n] ?? "active", virtual_address: held.includes(n) ? "held" : "standby" };
            }
        });
        const one = assess(vip, edge(["node2"]));
        expect(one.problems).toEqual([]);
        expect(one.lines).toContain("edge: virtual address 10.0.0.100 on node2");
        expect(assess(vip, edge([])).problems).toEqual(["edge: no answering node holds the virtual address 10.0.0.100"]);
        expect(assess(vip, edge(["node1", "node3"])).problems).toEqual(["edge: the virtual address 10.0.0.100 is on node1 and node3 at once (VRRP between them is broken)"]);
        expect(assess(vip, edge(["node1"], { node3: "failed" })).problems).toEqual(["node3: keepalived failed, so it cannot take the virtual address"]);
        // Without one configured, nothing is said of it.
        expect(assess(c, facts()).lines.some((l) => l.startsWith("edge:"))).toBe(false);
    });
});
