/**
 * The cluster pictures in docs/ (kept current with the program's plan by `npm run diagram --
 * --check`) are valid Mermaid and show what the example stacks deploy.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { JSDOM } from "jsdom";
import { beforeAll, describe, expect, it } from "vitest";

const read = (stack: string) => fs.readFileSync(path.join(__dirname, "..", "..", "docs", `cluster-${stack}.mmd`), "utf8");
let parse: (text: string) => Promise<unknown>;

beforeAll(async () => {
    const dom = new JSDOM("<!doctype html><html><body></body></html>");
    Object.assign(globalThis, { window: dom.window, document: dom.window.document });
    parse = (await import("mermaid")).default.parse;
});

describe("cluster pictures", () => {
    it("are flowcharts Mermaid parses, and Mermaid rejects a broken one", async () => {
        for (const stack of ["prod", "swarm"]) await expect(parse(read(stack))).resolves.toMatchObject({ diagramType: "flowchart-v2" });
        await expect(parse(read("prod").replace(`["Redis + Sentinel"]`, `["Redis + Sentinel"`))).rejects.toThrow();
    });

    it("show prod's three nodes, pgactive between every pair, a Redis on each with the redis node's the master, and one volume", () => {
        const text = read("prod");
        expect(text.match(/^ {4}subgraph /gm)).toHaveLength(3);
        expect(text).toContain('subgraph pl2["pl2 · 192.0.2.12 · redis"]');
        expect(text.match(/pgactive: both ways/g)).toHaveLength(3);
        expect(text.match(/\["Redis \+ Sentinel"\]/g)).toHaveLength(3);
        expect(text).toContain('store[("GlusterFS volume, replica 3")]');
        for (const n of ["pl1", "pl3"]) expect(text).toContain(`pl2_Redis_Sentinel -. "replicates" .-> ${n}_Redis_Sentinel`);
        for (const n of ["pl1", "pl2", "pl3"]) expect(text).toContain(`${n}_Paperless_ngx -. "queue (the master)" .-> pl2_Redis_Sentinel`);
    });

    it("show the swarm's managers and the database services on every node", () => {
        const text = read("swarm");
        for (const n of ["node1", "node2", "node3"]) {
            expect(text).toMatch(new RegExp(`subgraph ${n}\\["${n} · [0-9.]+ · manager`));
            for (const s of ["etcd", "PostgreSQL_Patroni", "PgBouncer", "HAProxy_primary", "postgres_exporter", "Paperless_ngx"]) expect(text).toContain(`${n}_${s}`);
        }
    });
});
