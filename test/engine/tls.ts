import { execFileSync } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/** What @pulumi/tls and @pulumi/random would produce, made with node's crypto and openssl. */

export function privateKey(algorithm: string, curve?: string): { privateKeyPem: string; publicKeyPem: string } {
    const { privateKey: key, publicKey } = algorithm === "RSA"
        ? crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
        : crypto.generateKeyPairSync("ec", { namedCurve: curve === "P384" ? "secp384r1" : "prime256v1" });
    return {
        privateKeyPem: key.export({ type: algorithm === "RSA" ? "pkcs1" : "sec1", format: "pem" }).toString(),
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    };
}

export function randomPassword(length: number, special: boolean): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789" + (special ? "!#$%&*()-_=+[]{}<>:?" : "");
    return Array.from({ length }, () => alphabet[crypto.randomInt(alphabet.length)]).join("");
}

interface Subject {
    commonName?: string;
    organization?: string;
    organizationalUnit?: string;
}

const subjectArg = (s?: Subject) =>
    "/" + [s?.commonName ? `CN=${s.commonName}` : "", s?.organization ? `O=${s.organization}` : "", s?.organizationalUnit ? `OU=${s.organizationalUnit}` : ""]
        .filter(Boolean).join("/");

const KEY_USAGE: Record<string, string> = {
    digitalSignature: "digitalSignature", keyEncipherment: "keyEncipherment", certSigning: "keyCertSign",
    crlSigning: "cRLSign", contentCommitment: "nonRepudiation", keyAgreement: "keyAgreement",
};
const EXT_KEY_USAGE: Record<string, string> = { serverAuth: "serverAuth", clientAuth: "clientAuth", codeSigning: "codeSigning" };

function extensions(uses: string[], isCa: boolean, sans?: { dnsNames?: string[]; ipAddresses?: string[] }): string {
    const ku = uses.map((u) => KEY_USAGE[u]).filter(Boolean);
    const eku = uses.map((u) => EXT_KEY_USAGE[u]).filter(Boolean);
    const san = [...(sans?.dnsNames ?? []).map((d) => `DNS:${d}`), ...(sans?.ipAddresses ?? []).map((i) => `IP:${i}`)];
    return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
        ...(ku.length ? [`keyUsage=critical,${ku.join(",")}`] : []),
        ...(eku.length ? [`extendedKeyUsage=${eku.join(",")}`] : []),
        ...(san.length ? [`subjectAltName=${san.join(",")}`] : []),
        "subjectKeyIdentifier=hash",
    ].join("\n") + "\n";
}

function inDir<T>(scratch: string, fn: (f: (name: string, content?: string) => string) => T): T {
    fs.mkdirSync(scratch, { recursive: true, mode: 0o700 });
    const dir = fs.mkdtempSync(path.join(scratch, "tls-"));
    try {
        return fn((name, content) => {
            const p = path.join(dir, name);
            if (content !== undefined) fs.writeFileSync(p, content, { mode: 0o600 });
            return p;
        });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" }).toString();
const days = (hours: number) => String(Math.max(1, Math.ceil(hours / 24)));

export function selfSignedCert(scratch: string, a: { privateKeyPem: string; subject?: Subject; validityPeriodHours: number; isCaCertificate?: boolean; allowedUses: string[] }): string {
    return inDir(scratch, (f) => {
        openssl(["req", "-x509", "-new", "-key", f("key.pem", a.privateKeyPem), "-subj", subjectArg(a.subject), "-days", days(a.validityPeriodHours),
            "-extensions", "ext", "-config", f("req.cnf", `[req]\ndistinguished_name=dn\n[dn]\n[ext]\n${extensions(a.allowedUses, !!a.isCaCertificate)}`),
            "-out", f("cert.pem")]);
        return fs.readFileSync(f("cert.pem"), "utf8");
    });
}

export function certRequest(scratch: string, a: { privateKeyPem: string; subject?: Subject; dnsNames?: string[]; ipAddresses?: string[] }): string {
    return inDir(scratch, (f) => {
        const san = [...(a.dnsNames ?? []).map((d) => `DNS:${d}`), ...(a.ipAddresses ?? []).map((i) => `IP:${i}`)];
        openssl(["req", "-new", "-key", f("key.pem", a.privateKeyPem), "-subj", subjectArg(a.subject),
            ...(san.length ? ["-addext", `subjectAltName=${san.join(",")}`] : []), "-out", f("csr.pem")]);
        return fs.readFileSync(f("csr.pem"), "utf8");
    });
}

export function locallySignedCert(scratch: string, a: {
    certRequestPem: string; caCertPem: string; caPrivateKeyPem: string; validityPeriodHours: number; allowedUses: string[];
    isCaCertificate?: boolean;
}): string {
    return inDir(scratch, (f) => {
        openssl(["x509", "-req", "-in", f("csr.pem", a.certRequestPem), "-CA", f("ca.pem", a.caCertPem), "-CAkey", f("cakey.pem", a.caPrivateKeyPem),
            "-set_serial", `0x${crypto.randomBytes(12).toString("hex")}`, "-days", days(a.validityPeriodHours),
            // Like the provider, the names come from the request.
            "-copy_extensions", "copy",
            "-extfile", f("ext.cnf", extensions(a.allowedUses, !!a.isCaCertificate)), "-out", f("cert.pem")]);
        return fs.readFileSync(f("cert.pem"), "utf8");
    });
}
