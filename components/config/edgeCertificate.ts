import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM chain, leaf first; throws on a block that does not parse. */
export function parseChain(pem: string): X509Certificate[] {
    return (pem.match(PEM_BLOCK) ?? []).map((block) => new X509Certificate(block));
}

/** The DNS names a certificate holds (its subject alternative names), wildcards included. Pure. */
export function dnsNames(cert: X509Certificate): string[] {
    return (cert.subjectAltName ?? "").split(/,\s*/).filter((s) => s.startsWith("DNS:")).map((s) => s.slice(4).toLowerCase());
}

/** The exact names it holds: the only ones a `Host` allow-list can list. Pure. */
export const exactNames = (pem: string): string[] => {
    const [leaf] = parseChain(pem);
    return leaf ? dnsNames(leaf).filter((n) => !n.includes("*")) : [];
};

/** The key as PKCS#8 PEM written anew: nothing else in the value reaches a host. */
export const rewrittenKey = (key: string): string => createPrivateKey(key).export({ type: "pkcs8", format: "pem" }) as string;

type Report = (path: PropertyKey[], msg: string) => void;

/**
 * `edge.certificate` with its secret key: a chain that parses, leaf first, that the key belongs to,
 * valid now, naming at least one DNS name (HAProxy serves it to clients that ask for one) and
 * covering every name in `edge.hostnames`. Messages never quote the key.
 */
export function checkEdgeCertificate(cert: string | undefined, key: string | undefined, e: { tls: boolean; hostnames: string[] }, at: Report, now = new Date()) {
    const path = ["edge", "certificate"];
    if (cert === undefined && key === undefined) return;
    if (cert === undefined) return at(["edgeCertificateKey"], "set edge.certificate too (the chain this key belongs to), or remove the key");
    if (key === undefined) return at(path, "needs its private key: pulumi config set --secret edgeCertificateKey < key.pem");
    if (!e.tls) return at(path, "needs edge.tls: true (without TLS nothing serves it)");
    let chain: X509Certificate[];
    try {
        chain = parseChain(cert);
    } catch (err) {
        return at(path, `a certificate in it does not parse (${(err as Error).message})`);
    }
    if (!chain.length) return at(path, "holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    const [leaf] = chain;
    for (let i = 1; i < chain.length; i++) {
        if (!chain[i - 1].checkIssued(chain[i])) at(path, `certificate ${i + 1} of the chain did not issue certificate ${i}: give the server's certificate first, then its issuers in order`);
    }
    let privateKey;
    try {
        privateKey = createPrivateKey(key);
    } catch {
        return at(["edgeCertificateKey"], "is not a PEM private key (unencrypted, PKCS#8, PKCS#1 or SEC1)");
    }
    if (!leaf.checkPrivateKey(privateKey)) at(["edgeCertificateKey"], `does not belong to the certificate for ${leaf.subject.replace(/\n/g, ", ")}`);
    if (new Date(leaf.validTo) < now) at(path, `expired on ${leaf.validTo}`);
    if (new Date(leaf.validFrom) > now) at(path, `is not valid before ${leaf.validFrom}`);
    const names = dnsNames(leaf);
    if (!names.length) return at(path, "names no DNS name: HAProxy serves it to clients that ask for one of its names (addresses keep the cluster CA's certificate)");
    const uncovered = e.hostnames.filter((h) => isIP(h) === 0 && !leaf.checkHost(h, { subject: "never" }));
    if (uncovered.length) at(path, `does not cover edge.hostnames ${uncovered.join(", ")} (it names ${names.join(", ")}): those would get the cluster CA's certificate`);
}
