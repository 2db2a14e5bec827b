import { isIP } from "node:net";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { NodeSpec } from "../config";

export interface KeyPair {
    certPem: pulumi.Output<string>;
    /** Secret. */
    keyPem: pulumi.Output<string>;
}

export interface ClusterPkiArgs {
    nodes: NodeSpec[];
    /** Extra DNS names every node certificate carries (the public name behind the load balancer). */
    extraNames: string[];
}

const YEAR_HOURS = 24 * 365;

/** Subject alternative names of one node's certificate. Pure. */
export function nodeSans(node: NodeSpec, extraNames: string[]): { dnsNames: string[]; ipAddresses: string[] } {
    const candidates = [node.name, node.address, node.clusterAddress, "localhost", "127.0.0.1", ...extraNames];
    const unique = [...new Set(candidates)];
    return {
        dnsNames: unique.filter((s) => isIP(s) === 0),
        ipAddresses: unique.filter((s) => isIP(s) !== 0),
    };
}

/**
 * Cluster CA, one certificate per node (PostgreSQL, HAProxy and the Docker API serve it; pgactive
 * presents it as a client too), and one client certificate for the operator's Docker provider.
 */
export class ClusterPki extends pulumi.ComponentResource {
    public readonly caCertPem: pulumi.Output<string>;
    public readonly nodes: Record<string, KeyPair>;
    public readonly operator: KeyPair;

    constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:pki:ClusterPki", name, {}, opts);
        const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
        const ca = new tls.SelfSignedCert(`${name}-ca`, {
            privateKeyPem: caKey.privateKeyPem,
            isCaCertificate: true,
            subject: { commonName: "paperless-ha cluster CA", organization: "paperless-ha" },
            validityPeriodHours: 10 * YEAR_HOURS,
            allowedUses: ["certSigning", "crlSigning", "digitalSignature"],
        }, { parent: this });
        this.caCertPem = ca.certPem;

        const issue = (role: string, commonName: string, sans: { dnsNames: string[]; ipAddresses: string[] }, uses: string[]): KeyPair => {
            const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const csr = new tls.CertRequest(`${name}-${role}-csr`, {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName, organization: "paperless-ha" },
                ...sans,
            }, { parent: this });
            const cert = new tls.LocallySignedCert(`${name}-${role}-cert`, {
                certRequestPem: csr.certRequestPem,
                caCertPem: ca.certPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                validityPeriodHours: 5 * YEAR_HOURS,
                earlyRenewalHours: 30 * 24,
                allowedUses: uses,
            }, { parent: this });
            return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPem) };
        };

        this.nodes = Object.fromEntries(args.nodes.map((n) => [
            n.name,
            issue(n.name, n.name, nodeSans(n, args.extraNames), ["digitalSignature", "keyEncipherment", "serverAuth", "clientAuth"]),
        ]));
        this.operator = issue("operator", "paperless-ha operator", { dnsNames: [], ipAddresses: [] }, ["digitalSignature", "keyEncipherment", "clientAuth"]);
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
