/** scripts/host/lib.sh's etcd_member_add, run by bash against a scripted etcdctl (`ctl`). */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { hostScript } from "../../components/host/remoteScript";

const URL = "https://10.0.0.1:2380";

/** etcd_member_add with `ctl` answering each `member add` with the next of ADDS and listing LISTED once an add was tried. */
function memberAdd(adds: string[], listed: boolean) {
    const stub = `
# Each add runs in a command substitution's subshell: the count lives in a file.
count=$(mktemp); echo 0 > "$count"
ctl() {
    case "$2 $3" in
        "member add") tries=$(($(cat "$count") + 1)); echo "$tries" > "$count"; reply=$(sed -n "\${tries}p" <<< "$ADDS")
            [ "$reply" = ok ] && { echo "Member 1 added"; return 0; }
            echo "$reply" >&2; return 1 ;;
        "member list") echo "2, started, node2, https://10.0.0.2:2380, https://10.0.0.2:2379, false"
            [ "$LISTED" = 0 ] || echo "1, unstarted, , ${URL}, , false" ;;
    esac
}
sleep() { :; }`;
    const r = spawnSync("bash", ["-c", `${hostScript("lib")}\nset -euo pipefail\n${stub}\netcd_member_add https://10.0.0.2:2379 node1 ${URL}; echo "tries=$(cat "$count")"`], {
        env: { PATH: "/usr/bin:/bin", ADDS: adds.join("\n"), LISTED: listed ? "1" : "0" }, encoding: "utf8",
    });
    return { ok: r.status === 0, tries: /tries=(\d+)/.exec(r.stdout)?.[1], said: r.stderr };
}

describe("adding an etcd member", () => {
    it("counts an add etcdctl gave up waiting for once the member list shows it", () => {
        const r = memberAdd(["Error: context deadline exceeded"], true);
        expect(r).toMatchObject({ ok: true, tries: "1" });
        expect(r.said).toContain(`etcd lists node1 (${URL}) as added, though etcdctl did not wait to see it`);
    });

    it("tries again while the cluster is busy, and stops once it is in", () => {
        const r = memberAdd(["Error: context deadline exceeded", "Error: etcdserver: unhealthy cluster", "ok"], false);
        expect(r).toMatchObject({ ok: true, tries: "3" });
        expect(r.said).toContain("etcd did not take node1 in yet, trying again: Error: etcdserver: unhealthy cluster");
    });

    it("fails at once, saying why, on an error no wait mends", () => {
        const r = memberAdd(["Error: etcdserver: permission denied"], false);
        expect(r.ok).toBe(false);
        expect(r.said).toContain("permission denied");
        expect(r.said).not.toContain("trying again");
    });

    it("gives up after ten tries on a cluster that stays busy", () => {
        const r = memberAdd(Array(12).fill("Error: context deadline exceeded"), false);
        expect(r.ok).toBe(false);
        expect(r.said.match(/trying again/g)).toHaveLength(9);
        expect(r.said).toMatch(/context deadline exceeded\n$/);
    });
});
