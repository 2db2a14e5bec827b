/**
 * `edge.virtualAddress`: what keepalived is told on each node, what the firewall admits, where the
 * address shows up (certificates, URL, origins, allowed hosts), and the config it refuses. That the
 * address moves when its holder dies runs on the test hosts (classic e2e).
 */
import { describe, expect, it } from "vitest";
import { publicUrl, trustedOrigins } from "../../components/app/paperlessEnv";
import { allowedHosts, renderKeepalivedConf } from "../../components/edge";
import { packagesFor, renderFirewall } from "../../components/host";
import { baseConfig, configOf, configProblems, runProgram, swarmConfig } from "./harness";

const problems = (raw: Record<string, unknown>) => configProblems(raw).map((p) => p.replace(/^paperless-ha:/, ""));
const withVip = (extra: Record<string, unknown> = {}, base = baseConfig(3)) =>
    ({ ...base, edge: { virtualAddress: "10.0.0.100", ...extra } });

describe("the cluster's virtual address", () => {
    it("tells keepalived on each node its peers, its rank and the address, as a backup that never takes it back", () => {
        const c = configOf(withVip({ virtualRouterId: 77 }));
        const [one, two] = c.dataNodes.map((n) => renderKeepalivedConf(c, n));
        expect(one).toContain("priority 200");
        expect(two).toContain("priority 199");
        expect(two).toMatch(/unicast_src_ip 10\.0\.0\.12\n {4}unicast_peer \{\n {8}10\.0\.0\.11\n {8}10\.0\.0\.13\n {4}\}/);
        expect(two).toMatch(/virtual_router_id 77\n/);
        expect(two).toMatch(/virtual_ipaddress \{\n {8}10\.0\.0\.100\/32\n/);
        expect(two).toMatch(/state BACKUP\n[^}]*nopreempt/);
        expect(two).toContain("track_script {\n        paperless_ha_haproxy\n");
    });

    it("is a host address of its own in IPv6 too", () => {
        const c = configOf({ ...baseConfig(3), nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, address: `fd00::1${i}` })), edge: { virtualAddress: "fd00::100" } });
        expect(renderKeepalivedConf(c, c.dataNodes[0])).toContain("fd00::100/128");
    });

    it("is the public URL when none is named, a trusted origin, a Host HAProxy lets through and a name in every node certificate", async () => {
        const c = configOf(withVip());
        expect(publicUrl(c)).toBe("https://10.0.0.100");
        expect(trustedOrigins(c)).toEqual(["https://10.0.0.100"]);
        expect(allowedHosts(c)).toContain("10.0.0.100:443");
        const named = configOf(withVip({ hostnames: ["paperless.example.com"] }));
        expect(publicUrl(named)).toBe("https://paperless.example.com");
        expect(trustedOrigins(named)).toEqual(["https://paperless.example.com", "https://10.0.0.100"]);
        const run = await runProgram(withVip());
        expect(run.byName("pki-node2-csr").inputs.ipAddresses).toContain("10.0.0.100");
        expect(run.outputs.appUrl).toBe("https://10.0.0.100/");
        expect((await runProgram(withVip({ virtualAddress: undefined, hostnames: ["paperless.example.com"] }))).outputs.appUrl).toBe("https://paperless.example.com/");
    });

    it("adds keepalived to every data node, each after its HAProxy, and VRRP from the nodes to the firewall; nothing without it", async () => {
        for (const base of [baseConfig(3), swarmConfig(3)]) {
            const run = await runProgram(withVip({}, base));
            for (const n of ["node1", "node2", "node3"]) {
                expect(run.dependsOn(`edge-${n}-keepalived`, `edge-${n}-haproxy`)).toBe(true);
            }
            const c = configOf(withVip({}, base));
            expect(packagesFor(c.dataNodes[0], c)).toContain("keepalived");
            expect(renderFirewall(c, 22)).toContain("ip saddr { 10.0.0.11, 10.0.0.12, 10.0.0.13 } meta l4proto 112 accept");
            const without = configOf(base);
            expect(packagesFor(without.dataNodes[0], without)).not.toContain("keepalived");
            expect(renderFirewall(without, 22)).not.toContain("112");
            expect((await runProgram(base)).resources.filter((r) => r.name.endsWith("-keepalived"))).toEqual([]);
        }
    });

    it("refuses an address no node can hold, naming it", () => {
        expect(problems(withVip({ virtualAddress: "10.0.0.12" }))).toEqual(["edge.virtualAddress: 10.0.0.12 is node2's own address; give an unused one in the nodes' subnet"]);
        expect(problems(withVip({ virtualAddress: "fd00::100" }))).toEqual(["edge.virtualAddress: fd00::100 and node1's cluster address 10.0.0.11 are not of one IP family (the nodes elect its holder over their cluster addresses)"]);
        expect(problems(withVip({ enabled: false }))).toEqual(["edge.virtualAddress: needs edge.enabled: the address follows a node whose HAProxy runs"]);
        expect(problems(withVip({ virtualAddress: "paperless.example.com" }))).toEqual(["edge.virtualAddress: must be an IPv4 or IPv6 address"]);
        expect(problems(withVip({ virtualRouterId: 256 }))[0]).toMatch(/^edge\.virtualRouterId: /);
    });
});
