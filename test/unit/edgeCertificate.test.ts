/**
 * `edge.certificate`: the checks that refuse a certificate HAProxy could not serve for the names
 * users reach, and the rendered HAProxy settings run for real on loopback (Debian's haproxy, from
 * scripts/ensure-test-tools.sh): the certificate is served to a client asking for its name, the
 * node's own to one asking for an address, and the `Host` check lets its names through.
 */
import { ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, validateConfig } from "../../components/config";
import { renderCrtList, renderHaproxyCfg } from "../../components/edge";
import { asStack, baseConfig, configOf } from "./harness";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "paperless-ha-edge-cert-"));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
const read = (name: string) => fs.readFileSync(file(name), "utf8");

/** A CA named `ca`, and a leaf it signs for `names` (DNS or IP subject alternative names). */
function issue(ca: string, leaf: string, names: string[]) {
    if (!fs.existsSync(file(`${ca}.crt`))) {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${ca}.key`, "-out", `${ca}.crt`, "-subj", `/CN=${ca}`, "-days", "2");
    }
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${leaf}.key`, "-out", `${leaf}.csr`, "-subj", `/CN=${leaf}`);
    fs.writeFileSync(file(`${leaf}.ext`), `subjectAltName=${names.map((n) => (net.isIP(n) ? `IP:${n}` : `DNS:${n}`)).join(",")}\n`);
    openssl("x509", "-req", "-in", `${leaf}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-out", `${leaf}.crt`, "-days", "1", "-extfile", `${leaf}.ext`);
}

const withCert = (edge: Record<string, unknown>, key: string | undefined, more: Record<string, unknown> = {}) =>
    asStack({ ...baseConfig(3), edge, ...(key === undefined ? {} : { edgeCertificateKey: key }), ...more });
const problems = (raw: unknown): string[] => {
    try {
        validateConfig(raw);
        return [];
    } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
    }
};

beforeAll(() => {
    issue("public-ca", "public", ["paperless.example.test", "*.docs.example.test"]);
    issue("public-ca", "other", ["other.example.test"]);
    issue("cluster-ca", "node", ["node1", "paperless.example.test", "127.0.0.1"]);
    // The public leaf with its issuer, as a CA hands them out.
    fs.writeFileSync(file("public-chain.crt"), read("public.crt") + read("public-ca.crt"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("edge.certificate", () => {
    it("takes a chain with its key, written anew, and lets its exact names through the Host check", () => {
        const c = configOf(withCert({ certificate: `junk before\n${read("public-chain.crt")}`, hostnames: ["paperless.example.test"] }, read("public.key")));
        expect(c.edge.certificate).toBe(read("public-chain.crt"));
        expect(JSON.stringify(c)).not.toContain("PRIVATE KEY");
        const cfg = renderHaproxyCfg(c, "checkpw");
        expect(cfg).toContain("    bind :443 ssl crt-list /etc/haproxy/paperless-ha.crt-list alpn h2,http/1.1");
        const hostCheck = cfg.split("\n").find((l) => l.includes("http-request deny"))!;
        expect(hostCheck).toContain(" paperless.example.test:443 ");
        expect(hostCheck).not.toContain("*");
        expect(renderCrtList()).toBe("/etc/haproxy/paperless-ha.pem localhost\n/etc/haproxy/paperless-ha-public.pem\n");
        // Without one, the settings are what they were.
        expect(renderHaproxyCfg(configOf(baseConfig(3)), "checkpw")).toContain("    bind :443 ssl crt /etc/haproxy/paperless-ha.pem alpn h2,http/1.1");
    });

    it("refuses, naming the key at fault and never quoting the private key: a missing half, a key of another certificate, no TLS, names it does not cover, a chain out of order, garbage", () => {
        const chain = read("public-chain.crt");
        const key = read("public.key");
        const cases: [unknown, string[]][] = [
            [withCert({ certificate: chain }, undefined), ["paperless-ha:edge.certificate: needs its private key: pulumi config set --secret edgeCertificateKey < key.pem"]],
            [withCert({}, key), ["paperless-ha:edgeCertificateKey: set edge.certificate too (the chain this key belongs to), or remove the key"]],
            [withCert({ certificate: chain }, read("other.key")), ["paperless-ha:edgeCertificateKey: does not belong to the certificate for CN=public"]],
            [withCert({ certificate: chain, tls: false }, key), ["paperless-ha:edge.certificate: needs edge.tls: true (without TLS nothing serves it)"]],
            [withCert({ certificate: chain, hostnames: ["paperless.example.test", "a.docs.example.test", "dms.example.test", "10.0.0.50"] }, key),
                ["paperless-ha:edge.certificate: does not cover edge.hostnames dms.example.test (it names paperless.example.test, *.docs.example.test): those would get the cluster CA's certificate"]],
            [withCert({ certificate: read("public-ca.crt") + read("public.crt") }, key), [
                "paperless-ha:edgeCertificateKey: does not belong to the certificate for CN=public-ca",
                "paperless-ha:edge.certificate: names no DNS name: HAProxy serves it to clients that ask for one of its names (addresses keep the cluster CA's certificate)",
                "paperless-ha:edge.certificate: certificate 2 of the chain did not issue certificate 1: give the server's certificate first, then its issuers in order",
            ]],
            [withCert({ certificate: "not a certificate" }, key), ["paperless-ha:edge.certificate: holds no PEM certificate (-----BEGIN CERTIFICATE-----)"]],
            [withCert({ certificate: chain }, "-----BEGIN PRIVATE KEY-----\nnot-base64\n-----END PRIVATE KEY-----\n"), ["paperless-ha:edgeCertificateKey: is not a PEM private key (unencrypted, PKCS#8, PKCS#1 or SEC1)"]],
        ];
        for (const [raw, expected] of cases) {
            const got = problems(raw);
            expect(got.sort()).toEqual([...expected].sort());
            expect(got.join("\n")).not.toContain("PRIVATE");
        }
    });

    it("refuses a certificate past its end (checked against the time of the run)", async () => {
        const { checkEdgeCertificate } = await import("../../components/config");
        const found: string[] = [];
        checkEdgeCertificate(read("public.crt"), read("public.key"), { tls: true, hostnames: [] }, (p, m) => found.push(`${p.join(".")}: ${m}`), new Date(Date.now() + 10 * 86400_000));
        expect(found).toHaveLength(1);
        expect(found[0]).toMatch(/^edge\.certificate: expired on /);
    });
});

describe("HAProxy serving edge.certificate, on loopback", () => {
    let proc: ChildProcess;
    let port = 0;
    let httpPort = 0;

    /** The issuer of the certificate served to a client asking for `servername` (none: an address). */
    const served = (servername?: string) => new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port, servername, rejectUnauthorized: false }, () => {
            resolve(String(s.getPeerCertificate().issuer.CN));
            s.end();
        });
        s.on("error", reject);
    });
    /** The status HAProxy answers a request for `host` (its servers are down: 503 once through the Host check). */
    const status = (host: string) => new Promise<number>((resolve, reject) => {
        const s = tls.connect({ host: "127.0.0.1", port, servername: net.isIP(host) ? undefined : host, ca: read("public-ca.crt") }, () => {
            s.write(`GET /api/ HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
        });
        let got = "";
        s.on("data", (d: Buffer) => { got += d.toString(); });
        s.on("end", () => resolve(Number(got.split(" ")[1])));
        s.on("error", reject);
    });

    beforeAll(async () => {
        const free = () => new Promise<number>((resolve) => {
            const srv = net.createServer().listen(0, "127.0.0.1", () => {
                const p = (srv.address() as net.AddressInfo).port;
                srv.close(() => resolve(p));
            });
        });
        const appPort = await free();
        [port, httpPort] = [await free(), await free()];
        // Instances on loopback addresses where nothing listens: through the Host check, a request meets 503.
        const c = configOf({
            nodes: [1, 2, 3].map((i) => ({ name: `node${i}`, address: `127.0.0.${i + 1}` })),
            sshPrivateKey: "k",
            app: { port: appPort },
            edge: { certificate: read("public-chain.crt"), httpsPort: port, httpPort },
            edgeCertificateKey: read("public.key"),
        });
        fs.writeFileSync(file("node.pem"), read("node.crt") + read("node.key"));
        fs.writeFileSync(file("public.pem"), read("public-chain.crt") + read("public.key"));
        fs.writeFileSync(file("crt-list"), renderCrtList(file("node.pem"), file("public.pem")));
        // The rendered frontend and its backend alone, behind the rendered global section's essentials.
        const blocks = renderHaproxyCfg(c, "checkpw", file("node.pem"), "/dev/null", file("crt-list")).split("\n\n");
        const edge = blocks.filter((b) => b.startsWith("frontend paperless") || b.startsWith("backend paperless")).join("\n\n");
        fs.writeFileSync(file("haproxy.cfg"), `global\n    maxconn 256\n\ndefaults\n    mode http\n    timeout connect 500ms\n    timeout client 5s\n    timeout server 5s\n\n${edge}\n`);
        execFileSync("haproxy", ["-c", "-q", "-f", file("haproxy.cfg")], { stdio: "pipe" });
        proc = spawn("haproxy", ["-f", file("haproxy.cfg")], { stdio: "ignore" });
        for (let i = 0; i < 100; i++) {
            if (await served().then(() => true, () => false)) break;
            await new Promise((r) => setTimeout(r, 100));
        }
    }, 30_000);
    afterAll(() => proc?.kill("SIGKILL"));

    it("serves the certificate to a client asking for its names, the node's own to one asking for an address or any other name", async () => {
        expect(await served("paperless.example.test")).toBe("public-ca");
        expect(await served("scans.docs.example.test")).toBe("public-ca");
        expect(await served()).toBe("cluster-ca");
        expect(await served("node1")).toBe("cluster-ca");
        expect(await served("elsewhere.example.test")).toBe("cluster-ca");
    });

    it("lets the certificate's exact names through the Host check, verified against its own CA, and still refuses others", async () => {
        expect(await status("paperless.example.test")).toBe(503);
        await expect(status("elsewhere.example.test")).rejects.toThrow(/altnames|certificate/i);
        expect(await new Promise<number>((resolve, reject) => {
            const s = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false }, () => s.write(`GET / HTTP/1.1\r\nHost: elsewhere.example.test\r\nConnection: close\r\n\r\n`));
            let got = "";
            s.on("data", (d: Buffer) => { got += d.toString(); });
            s.on("end", () => resolve(Number(got.split(" ")[1])));
            s.on("error", reject);
        })).toBe(400);
    });
});
