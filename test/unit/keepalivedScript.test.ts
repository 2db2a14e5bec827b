/**
 * scripts/host/keepalived.sh run by bash with ip, keepalived and systemctl scripted: the config
 * names the interface that holds the node's cluster address, is checked before it is written, and
 * keepalived is reloaded only when it changed. That VRRP moves the address runs on the test hosts.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hostScript, withLib } from "../../components/host/remoteScript";

function run(opts: { addr: string; valid?: boolean; changed?: boolean }) {
    const stub = `
ip() { [ -z "${opts.addr}" ] || echo "2: ${opts.addr}    inet 10.0.0.12/24 brd 10.0.0.255 scope global eth0"; }
keepalived() { grep -q "interface " "$3" && echo "checked $(grep -o 'interface [^ ]*' "$3")" >&2; ${opts.valid === false ? "echo 'Unknown keyword' >&2; return 5" : "true"}; }
put_file() { printf '%s' "$3" > "$WROTE"; FILE_CHANGED=${opts.changed === false ? 0 : 1}; }
mktemp() { command mktemp "$TMPDIR/k.XXXXXX"; }
mkdir() { :; }
systemctl() { echo "systemctl $*" >&2; }`;
    const script = withLib(hostScript("keepalived")).replace(/^set -euo pipefail$/m, `set -euo pipefail\n${stub}`);
    const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
    const r = spawnSync("bash", ["--norc", "-c", script], {
        env: { PATH: "/usr/bin:/bin", TMPDIR: dir, WROTE: `${dir}/wrote`, CONFIG: "vrrp_instance x {\n    interface @INTERFACE@\n}\n", SRC_IP: "10.0.0.12" },
        encoding: "utf8",
    });
    const wrote = spawnSync("cat", [`${dir}/wrote`], { encoding: "utf8" }).stdout;
    spawnSync("rm", ["-rf", dir]);
    return { ok: r.status === 0, said: r.stderr.trim().split("\n"), wrote };
}

describe("keepalived on a node", () => {
    it("names the interface holding the cluster address, checks the config, writes it and reloads keepalived", () => {
        const r = run({ addr: "ens18" });
        expect(r.ok, r.said.join("\n")).toBe(true);
        expect(r.wrote).toBe("vrrp_instance x {\n    interface ens18\n}\n");
        expect(r.said).toEqual(["checked interface ens18", "systemctl reload-or-restart keepalived", "systemctl is-active -q keepalived"]);
    });

    it("only makes sure keepalived runs when nothing changed, and takes a veth's name without its peer", () => {
        const r = run({ addr: "eth0@if12", changed: false });
        expect(r.wrote).toContain("interface eth0\n");
        expect(r.said.slice(1)).toEqual(["systemctl start keepalived", "systemctl is-active -q keepalived"]);
    });

    it("stops before writing when no interface holds the address, or keepalived refuses the config", () => {
        const none = run({ addr: "" });
        expect(none.ok).toBe(false);
        expect(none.said.at(-1)).toMatch(/^no interface of .* holds its cluster address 10\.0\.0\.12$/);
        expect(none.wrote).toBe("");
        const refused = run({ addr: "eth0", valid: false });
        expect(refused.ok).toBe(false);
        expect(refused.said.at(-1)).toBe("keepalived refuses the rendered config (above)");
        expect(refused.wrote).toBe("");
    });
});
