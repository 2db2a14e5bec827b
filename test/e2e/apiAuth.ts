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

/** What etcd's gateway answers: the kind of refusal, or "admitted" when the key was read. */
const etcdAnswer = (json: string) => {
    if (json.includes("\"kvs\"")) return "admitted";
    const error = /"(?:error|message)":"etcdserver: ([^"]+)"/.exec(json)?.[1];
    return error ?? (json.includes("CommonName") ? "refused a named certificate" : json.slice(0, 200));
};

/**
 * What etcd at `n2` answers a read of the Patroni cluster's leader key, asked from node `n1`: with
 * the node's certificate; with Patroni's certificate (from the state, in a root-only scratch
 * directory on n1 for the call) without signing in; signed in as Patroni's user, for its own key and
 * another cluster's. Passwords and keys reach n1 on stdin.
 */
export function etcdGates(stack: string, n1: string, n2: string, scope: string) {
    const dir = "/root/e2e-etcd-client";
    onHost(n1, `umask 077 && mkdir -p ${dir} && cat > ${dir}/client.crt`, stateSecret(stack, "pki-etcd-client-cert", "certPem"));
    onHost(n1, `umask 077 && cat > ${dir}/client.key`, stateSecret(stack, "pki-etcd-client-key", "privateKeyPem"));
    const b64 = (k: string) => Buffer.from(k).toString("base64");
    const leader = `/service/${scope}/leader`;
    const call = (cert: string, api: string, body: string, token = "") => onHost(n1,
        `curl -sS -m 10 --cacert /etc/paperless-ha/tls/ca.crt --cert ${cert}.crt --key ${cert}.key ${token ? `-H 'Authorization: ${token}'` : ""} ` +
        `-X POST --data-binary @- https://${n2}:2379/v3/${api} || true`, body);
    const range = (cert: string, key: string, token = "") => etcdAnswer(call(cert, "kv/range", JSON.stringify({ key: b64(key) }), token));
    try {
        const password = stateSecret(stack, "secrets-etcd-patroni", "result");
        const signIn = JSON.parse(call(`${dir}/client`, "auth/authenticate", JSON.stringify({ name: "patroni", password }))) as { token?: string };
        return {
            nodeCertificate: range("/etc/paperless-ha/tls/node", leader),
            patroniNotSignedIn: range(`${dir}/client`, leader),
            patroniOwnKeys: range(`${dir}/client`, leader, signIn.token),
            patroniOtherKeys: range(`${dir}/client`, "/service/another-cluster/leader", signIn.token),
            rootCertificate: onHost(n1, "stat -c '%U %a' /etc/paperless-ha/etcd-root /etc/paperless-ha/etcd-root/root.key").split("\n"),
        };
    } finally {
        onHost(n1, `rm -rf ${dir}`);
    }
}

/**
 * Who Patroni's REST API, etcd and node `n2`'s Docker API let in, asked from node `n1` and from
 * this machine; `expectedCallers` is what a sound cluster answers.
 */
export function callers(stack: string, n1: string, n2: string, scope = "paperless") {
    const nodeKey = dockerApiWith(stack, n2, 2376, "pki-node1");
    return {
        // etcd: only Patroni's user, signed in, and only at its own keys; a node's key gets nothing.
        etcd: etcdGates(stack, n1, n2, scope),
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
    etcd: {
        nodeCertificate: "refused a named certificate",
        patroniNotSignedIn: "user name is empty",
        patroniOwnKeys: "admitted",
        patroniOtherKeys: "permission denied",
        rootCertificate: ["root 700", "root 600"],
    },
    patroni: { noCertificate: "403", noPassword: "401", notAMember: "403", admitted: "202" },
    patroniHealth: "200",
    dockerOperator: true,
    dockerNodeKey: "refused for its certificate",
    dockerListens: [`${n2}:2376`],
});

/** What an outsider gets from a node: a forged Host's status at the edge, and whether the app's own port connects. */
export async function outsiderView(address: string, ca: string, auth: string): Promise<{ forgedHost: number; appPort: string }> {
    const forged = await request(`https://${address}/api/documents/?page_size=1`, ca, { auth, headers: { Host: "evil.example" } });
    const appPort = await fetch(`http://${address}:8000/`, { signal: AbortSignal.timeout(3000) }).then(() => "open", closedOrThrow);
    return { forgedHost: forged.status, appPort };
}

/** A connection the firewall dropped (no answer in time) or refused is a closed port; any other failure is not proof of one. */
function closedOrThrow(e: unknown): string {
    const err = e as { name?: string; cause?: { code?: string } };
    if (err.name === "TimeoutError" || err.cause?.code === "ECONNREFUSED") return "closed";
    throw e;
}
