import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { deletionOrder, ResourceState, StateStore } from "../engine/state";
import { plain, secretWrapper } from "../../tools/support/secrets";

describe("test engine state", () => {
    it("encrypts every secret value on disk and reads it back", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-state-"));
        const file = path.join(dir, "state.json");
        const store = new StateStore(file);
        await store.put({
            type: "command:remote:Command", name: "db", id: "1", seq: store.nextSeq(),
            inputs: { create: "bash -s", stdin: secretWrapper("export PW='hunter2-very-secret'") },
            outputs: { stdout: secretWrapper("ok") },
        });
        const text = fs.readFileSync(file, "utf8");
        expect(text).not.toContain("hunter2");
        expect(text).toContain("bash -s");
        expect(fs.statSync(file).mode & 0o777).toBe(0o600);
        expect(fs.statSync(`${file}.key`).mode & 0o777).toBe(0o600);

        const again = new StateStore(file).get("command:remote:Command", "db")!;
        expect(plain(again.inputs)).toEqual({ create: "bash -s", stdin: "export PW='hunter2-very-secret'" });
        // Still marked secret, so a later write encrypts it again.
        await new StateStore(file).put({ ...again, name: "db2" });
        expect(fs.readFileSync(file, "utf8")).not.toContain("hunter2");
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it("deletes dependents first even when what they use was created later, and providers last", () => {
        const r = (name: string, seq: number, deps: string[] = [], provider?: string): ResourceState =>
            ({ type: "t", name, id: name, seq, inputs: {}, outputs: {}, deps, provider });
        // Growth: the stack (seq 3) was updated in place to use a config created after it (seq 5).
        const order = deletionOrder([
            r("api", 1), r("init", 2), r("stack", 3, ["init", "cfg-a", "cfg-b"]), r("cfg-a", 4, ["init"], "api"), r("cfg-b", 5, ["init"], "api"),
        ]).map((x) => x.name);
        expect(order).toEqual(["stack", "cfg-b", "cfg-a", "init", "api"]);
    });
});
