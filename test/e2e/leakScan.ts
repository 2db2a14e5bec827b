/**
 * A leak scan of a deployed cluster: every secret the stack generated (its passwords and the base64
 * lines of its private keys, read from the engine's state) looked for on every host where it must
 * never be: process command lines, `docker inspect` and the logs of every container, the journal,
 * and every file the unprivileged user `nobody` can read. The patterns reach each host on stdin.
 */
import { randomBytes } from "node:crypto";
import { StateStore } from "../engine/state";
import { plain } from "../../tools/support/secrets";
import { onHost, statePath } from "./hosts";

/** What the stack generated that must stay secret, as the strings a leak would show. */
export function stackSecrets(stack: string): string[] {
    const found: string[] = [];
    for (const r of new StateStore(statePath(stack)).all()) {
        const out = plain(r.outputs) as Record<string, unknown>;
        if (r.type === "random:index/randomPassword:RandomPassword") found.push(String(out.result));
        if (r.type === "tls:index/privateKey:PrivateKey") {
            found.push(...String(out.privateKeyPem).split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----")));
        }
    }
    if (found.length === 0) throw new Error(`no generated secret in the state of ${stack}`);
    return found;
}

// Prints one line per kind of place a pattern (one per line on stdin) was found in, and where.
const SCAN = String.raw`set -uo pipefail
pat=$(mktemp); out=$(mktemp); chmod 600 "$pat" "$out"; trap 'rm -f "$pat" "$out"' EXIT; cat > "$pat"
# Each source is captured whole first: a grep -q that stops reading early must not cut its writer short.
found() { grep -qFf "$pat" "$out" && echo "$1"; }
for p in /proc/[0-9]*; do tr '\0' ' ' 2>/dev/null < "$p/cmdline"; echo; done > "$out"; found "process command line"
if command -v docker >/dev/null; then
    for id in $(docker ps -aq); do
        name=$(docker inspect -f '{{.Name}}' "$id")
        docker inspect "$id" > "$out"; found "docker inspect $name"
        docker logs "$id" > "$out" 2>&1; found "docker logs $name"
    done
fi
journalctl --no-pager -o cat > "$out" 2>/dev/null; found "journal"
setpriv --reuid=65534 --regid=65534 --clear-groups grep -rlsFf - /etc /var /srv /opt /home /root /tmp /run /usr/local \
    < "$pat" | sed 's/^/readable by anyone: /'
exit 0`;

/** Per host address, where one of `patterns` was found (nothing: no leak). */
export function leakScan(addresses: string[], patterns: string[]): Record<string, string[]> {
    return Object.fromEntries(addresses.map((a) => [a, onHost(a, SCAN, patterns.join("\n") + "\n").split("\n").filter(Boolean)]));
}

/**
 * First shows the scan finds a canary planted on the first host (in a file anyone can read and on
 * a command line), then scans every host for the stack's secrets and those `given` in its config: where each was found.
 */
export function scanForLeaks(stack: string, addresses: string[], given: string[] = []): { secrets: number; found: Record<string, string[]> } {
    const canary = `canary${randomBytes(12).toString("hex")}`;
    const file = "/etc/paperless-ha-leak-canary";
    onHost(addresses[0], `printf '%s' ${canary} > ${file} && chmod 644 ${file} && (bash -c 'sleep 30; :' ${canary} >/dev/null 2>&1 &)`);
    const seen = leakScan([addresses[0]], [canary])[addresses[0]];
    onHost(addresses[0], `rm -f ${file}`);
    if (seen.join("|") !== `process command line|readable by anyone: ${file}`) throw new Error(`the leak scan missed its canary: ${seen.join(", ")}`);
    const secrets = [...stackSecrets(stack), ...given];
    return { secrets: secrets.length, found: leakScan(addresses, secrets) };
}
