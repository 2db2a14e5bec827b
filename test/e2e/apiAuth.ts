/**
 * Who may call the cluster's APIs, asked from the outside: Patroni's REST API for an unsafe method
 * and the Docker API for anything. Credentials reach curl on stdin, never on a command line.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onHost, request, stateSecret } from "./hosts";

export interface PatroniCall {
    /** Present the node's certificate (cluster CA) as a client. */
    cert: boolean;
    /** The REST API's password, or none. */
    password?: string;
    /** Another local address of the calling host to call from (e.g. 127.0.0.1, not a member's). */
    source?: string;
}

/**
 * HTTP status of `POST /reload` (harmless when admitted: Patroni re-reads its config) to `target`'s
 * REST API, sent by curl on the host `from` with that host's TLS files in `tlsDir`.
 */
export function patroniReload(from: string, target: string, port: number, tlsDir: string, call: PatroniCall): string {
    const args = [
        "curl -s -o /dev/null -w '%{http_code}' -m 10 -K -", `--cacert ${tlsDir}/ca.crt`,
        ...(call.cert ? [`--cert ${tlsDir}/node.crt --key ${tlsDir}/node.key`] : []),
        ...(call.source ? [`--interface ${call.source}`] : []),
        `-X POST https://${target}:${port}/reload`,
    ];
    return onHost(from, `${args.join(" ")} || true`, call.password ? `user = "paperless-ha:${call.password}"\n` : "");
}

/** The four calls that tell Patroni's three gates apart, from `from` to `target` (both members). */
export function patroniGates(stack: string, from: string, target: string, port: number, tlsDir: string) {
    const password = stateSecret(stack, "secrets-patroni-api", "result");
    return {
        noCertificate: patroniReload(from, target, port, tlsDir, { cert: false, password }),
        noPassword: patroniReload(from, target, port, tlsDir, { cert: true }),
        notAMember: patroniReload(from, from, port, tlsDir, { cert: true, password, source: "127.0.0.1" }),
        admitted: patroniReload(from, target, port, tlsDir, { cert: true, password }),
    };
}

/**
 * Whether a Docker API call to `address` succeeds with the client certificate and key of `client`
 * (a resource prefix in the state: `pki-node1` or `pki-operator`); on failure, docker's message.
 */
export function dockerApiWith(stack: string, address: string, port: number, client: string): { ok: boolean; message: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pha-docker-api-"));
    try {
        const write = (name: string, pem: string) => fs.writeFileSync(path.join(dir, name), pem, { mode: 0o600 });
        write("ca.pem", stateSecret(stack, "pki-ca", "certPem"));
        write("cert.pem", stateSecret(stack, `${client}-cert`, "certPem"));
        write("key.pem", stateSecret(stack, `${client}-key`, "privateKeyPem"));
        const out = execFileSync("docker", ["--tlsverify", "--tlscacert", path.join(dir, "ca.pem"), "--tlscert", path.join(dir, "cert.pem"),
            "--tlskey", path.join(dir, "key.pem"), "-H", `tcp://${address}:${port}`, "version", "--format", "{{.Server.Version}}"],
        { encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
        return { ok: true, message: out.trim() };
    } catch (e) {
        return { ok: false, message: String((e as { stderr?: string }).stderr ?? e) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The local addresses a host's Docker API listens on (`ss`'s local address column). */
export const dockerApiListeners = (address: string, port: number) =>
    onHost(address, `ss -Htln 'sport = :${port}' | awk '{ print $4 }'`).split("\n").filter(Boolean);

/**
 * Who Patroni's REST API and node `n2`'s Docker API let in, asked from node `n1` and from this
 * machine; `expectedCallers` is what a sound cluster answers.
 */
export function callers(stack: string, n1: string, n2: string) {
    const nodeKey = dockerApiWith(stack, n2, 2376, "pki-node1");
    return {
        // An unsafe call needs a cluster certificate, the password and a member's address.
        patroni: patroniGates(stack, n1, n2, 8008, "/etc/paperless-ha/tls"),
        // Reads, which HAProxy's checks make without a certificate, stay open.
        patroniHealth: onHost(n1, `curl -s -o /dev/null -w '%{http_code}' -m 10 --cacert /etc/paperless-ha/tls/ca.crt https://${n2}:8008/health`),
        dockerOperator: dockerApiWith(stack, n2, 2376, "pki-operator").ok,
        dockerNodeKey: nodeKey.ok ? "admitted" : /certificate/i.test(nodeKey.message) ? "refused for its certificate" : nodeKey.message,
        dockerListens: dockerApiListeners(n2, 2376),
    };
}
export const expectedCallers = (n2: string): ReturnType<typeof callers> => ({
    patroni: { noCertificate: "403", noPassword: "401", notAMember: "403", admitted: "202" },
    patroniHealth: "200",
    dockerOperator: true,
    dockerNodeKey: "refused for its certificate",
    dockerListens: [`${n2}:2376`],
});

/** What an outsider gets from a node: a forged Host's status at the edge, and whether the app's own port connects. */
export async function outsiderView(address: string, ca: string, auth: string): Promise<{ forgedHost: number; appPort: string }> {
    const forged = await request(`https://${address}/api/documents/?page_size=1`, ca, { auth, headers: { Host: "evil.example" } });
    const appPort = await fetch(`http://${address}:8000/`, { signal: AbortSignal.timeout(3000) }).then(() => "open", () => "closed");
    return { forgedHost: forged.status, appPort };
}
