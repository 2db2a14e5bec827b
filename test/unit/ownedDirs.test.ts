/** scripts/host/lib.sh's own_dir and retire_owned, run by bash on temporary directories. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { hostScript } from "../../components/host/remoteScript";

function lib(dir: string, script: string) {
    const r = spawnSync("bash", ["-c", `${hostScript("lib")}\nset -euo pipefail\n${script}`], {
        env: { PATH: "/usr/bin:/bin", OWNED_DIRS: path.join(dir, "state", "owned-dirs") }, encoding: "utf8",
    });
    expect(r.status, r.stderr).toBe(0);
    return r.stderr;
}

describe("directories the config names", () => {
    it("are deleted on destroy only when the program made them", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "owned-"));
        const made = path.join(dir, "made");
        const theirs = path.join(dir, "theirs");
        fs.mkdirSync(theirs);
        fs.writeFileSync(path.join(theirs, "precious"), "x");
        lib(dir, `own_dir ${made} 0750; own_dir ${theirs} 0755; own_dir ${made} 0750`);
        expect(fs.readFileSync(path.join(dir, "state", "owned-dirs"), "utf8")).toBe(`${made}\n`);
        expect(fs.statSync(made).mode & 0o777).toBe(0o750);

        const said = lib(dir, `retire_owned ${made} 0; retire_owned ${theirs} 0`);
        expect(fs.existsSync(made)).toBe(false);
        expect(fs.readFileSync(path.join(theirs, "precious"), "utf8")).toBe("x");
        expect(said).toContain(`${theirs} was there before paperless-ha made its own: left in place`);
        expect(fs.readFileSync(path.join(dir, "state", "owned-dirs"), "utf8")).toBe("");
    });

    it("are set aside with every file when kept, whoever made them", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "owned-"));
        const theirs = path.join(dir, "theirs");
        fs.mkdirSync(theirs);
        lib(dir, `retire_owned ${theirs} 1`);
        expect(fs.readdirSync(dir).filter((f) => f.startsWith("theirs.retained-"))).toHaveLength(1);
    });
});
