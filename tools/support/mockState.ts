/**
 * Provider outputs under mocks: deterministic per resource name, so two evaluations compare equal,
 * and every secret handed out is recorded so tests can look for it where it must not be.
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { isSecretWrapper, plain, SECRET_OUTPUTS } from "./secrets";

export const SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-ssh-key-material\n-----END OPENSSH PRIVATE KEY-----\n";

function secretToken(role: string, secrets: string[]): string {
    const token = `SECRET-${role}-join-token`;
    secrets.push(token);
    return token;
}

/** Mocked provider outputs: deterministic per resource name, so two runs compare equal. */
export function mockState(type: string, name: string, inputs: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
    const secretValue = (what: string) => {
        const v = `SECRET-${what}-${name}`;
        secrets.push(v);
        return pulumi.secret(v);
    };
    const state: Record<string, unknown> = { ...inputs };
    switch (type) {
        case "random:index/randomPassword:RandomPassword":
            state.result = secretValue("password");
            break;
        case "tls:index/privateKey:PrivateKey":
            state.privateKeyPem = secretValue("private-key-pem");
            state.publicKeyPem = `PUBLIC-${name}`;
            break;
        case "tls:index/certRequest:CertRequest":
            state.certRequestPem = `CSR-${name}`;
            break;
        case "tls:index/selfSignedCert:SelfSignedCert":
        case "tls:index/locallySignedCert:LocallySignedCert":
            state.certPem = `CERT-${name}`;
            break;
        case "docker:index/remoteImage:RemoteImage":
            // The id names the content: another image reference, another id.
            state.imageId = `sha256:image-${name}-${String(inputs.name)}`;
            state.repoDigest = `${String(inputs.name)}@sha256:mock`;
            break;
        case "command:remote:Command":
            // swarm-init prints the join tokens, a host key step the host's key (as its .pub file
            // holds it); everything else prints nothing the program reads.
            if (name.endsWith("-host-key")) {
                state.stdout = `${testHostKey(String((plain(inputs.connection) as { host: unknown }).host))} root@${name}\n`;
                break;
            }
            state.stdout = pulumi.secret(name.endsWith("swarm-init")
                ? JSON.stringify({ manager: secretToken("manager", secrets), worker: secretToken("worker", secrets) })
                : "");
            state.stderr = "";
            break;
    }
    for (const key of SECRET_OUTPUTS[type] ?? []) {
        if (key in state && !pulumi.Output.isInstance(state[key]) && !isSecretWrapper(state[key])) state[key] = pulumi.secret(state[key]);
    }
    return state;
}


/** A well-formed ed25519 host key, the same for the same seed (tests pin one per node). */
export function testHostKey(seed: string): string {
    const type = Buffer.from("ssh-ed25519");
    const key = createHash("sha256").update(seed).digest();
    const len = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
    return `ssh-ed25519 ${Buffer.concat([len(type.length), type, len(key.length), key]).toString("base64")}`;
}

/** A management network tests name (TEST-NET-1). */
export const TEST_MANAGEMENT = ["192.0.2.0/24"];

/**
 * `raw` as a real stack lists it: every node's host key pinned (unless it trusts on first use), and
 * a management network while the firewall is on and none is named.
 */
export function asStack<T>(raw: T): T {
    const r = raw as { nodes?: unknown; ssh?: { trustOnFirstUse?: boolean }; firewall?: Record<string, unknown> };
    const fw = r.firewall && typeof r.firewall === "object" ? r.firewall : {};
    const firewall = fw.enabled === false || "managementCidrs" in fw ? {} : { firewall: { ...fw, managementCidrs: TEST_MANAGEMENT } };
    if (!Array.isArray(r.nodes) || r.ssh?.trustOnFirstUse) return { ...raw, ...firewall };
    const nodes = r.nodes.map((n: unknown) => (n && typeof n === "object" && !("hostKey" in n) && "address" in n
        ? { ...n, hostKey: testHostKey(String((n as { address: unknown }).address)) } : n));
    return { ...raw, ...firewall, nodes };
}
