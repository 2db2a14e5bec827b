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
    /** Patroni's etcd runs: issue its clients' certificates. */
    etcd: boolean;
}

/** etcd's name for the user a client certificate with this common name acts as (see `etcdRoot`). */
export const ETCD_ROOT_USER = "root";

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
 * Two CAs. The cluster CA signs one certificate per node (PostgreSQL, HAProxy, etcd, Patroni and
 * the Docker API serve it; pgactive and Patroni present it as a client too). The Docker API CA
 * signs the operator's certificate only, and is the one CA dockerd trusts for its callers: a
 * node's key, which every node's services hold, opens no other node's Docker API.
 */
export class ClusterPki extends pulumi.ComponentResource {
    public readonly caCertPem: pulumi.Output<string>;
    /** The CA dockerd verifies callers against. */
    public readonly dockerApiCaCertPem: pulumi.Output<string>;
    public readonly nodes: Record<string, KeyPair>;
    public readonly operator: KeyPair;
    /**
     * etcd clients. `etcdRoot` names etcd's root user, which etcd takes from a certificate's common
     * name: the deploy steps' identity for membership and access control. `etcdClient` is Patroni's
     * and has no common name, because etcd's HTTP gateway, which Patroni speaks, refuses a named
     * certificate once access control is on; Patroni signs in with a password instead. A node's own
     * certificate names no etcd user, so it reads and writes nothing. (No etcd user is ever named
     * after a node: the gateway forwards every request to etcd under the node's own certificate.)
     */
    public readonly etcdRoot?: KeyPair;
    public readonly etcdClient?: KeyPair;

    constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:pki:ClusterPki", name, {}, opts);
        const authority = (role: string, commonName: string) => {
            const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const cert = new tls.SelfSignedCert(`${name}-${role}`, {
                privateKeyPem: key.privateKeyPem,
                isCaCertificate: true,
                subject: { commonName, organization: "paperless-ha" },
                validityPeriodHours: 10 * YEAR_HOURS,
                allowedUses: ["certSigning", "crlSigning", "digitalSignature"],
            }, { parent: this });
            return { key, cert };
        };
        const ca = authority("ca", "paperless-ha cluster CA");
        const dockerApiCa = authority("docker-api-ca", "paperless-ha Docker API CA");
        this.caCertPem = ca.cert.certPem;
        this.dockerApiCaCertPem = dockerApiCa.cert.certPem;

        const issue = (role: string, commonName: string | undefined, sans: { dnsNames: string[]; ipAddresses: string[] }, uses: string[], by = ca): KeyPair => {
            const key = new tls.PrivateKey(`${name}-${role}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent: this });
            const csr = new tls.CertRequest(`${name}-${role}-csr`, {
                privateKeyPem: key.privateKeyPem,
                subject: commonName ? { commonName, organization: "paperless-ha" } : { organization: "paperless-ha", organizationalUnit: role },
                ...sans,
            }, { parent: this });
            const cert = new tls.LocallySignedCert(`${name}-${role}-cert`, {
                certRequestPem: csr.certRequestPem,
                caCertPem: by.cert.certPem,
                caPrivateKeyPem: by.key.privateKeyPem,
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
        this.operator = issue("operator", "paperless-ha operator", { dnsNames: [], ipAddresses: [] }, ["digitalSignature", "keyEncipherment", "clientAuth"], dockerApiCa);
        if (args.etcd) {
            const client = ["digitalSignature", "keyEncipherment", "clientAuth"];
            const none = { dnsNames: [], ipAddresses: [] };
            this.etcdRoot = issue("etcd-root", ETCD_ROOT_USER, none, client);
            this.etcdClient = issue("etcd-client", undefined, none, client);
        }
        this.registerOutputs({ caCertPem: this.caCertPem });
    }
}
