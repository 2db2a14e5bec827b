import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, hostPort, NodeSpec } from "../config";
import { isHostKey } from "../config/rules";
import { KeyPair } from "../pki";
import { managementCidrs, packagesFor, renderDockerDaemon, renderFirewall, renderHostsBlock, renderSysctl } from "./render";
import { HostLogin, runScript } from "./remoteScript";

/** The key sshd presents to a client that asks for ed25519 (Debian makes it on install). */
const HOST_KEY_FILE = "/etc/ssh/ssh_host_ed25519_key.pub";

export interface HostArgs {
    node: NodeSpec;
    cluster: ClusterConfig;
    sshPrivateKey: pulumi.Input<string>;
    /** The key this host's SSH connections verify (see `hostKeys`). */
    hostKey: pulumi.Input<string>;
    caCertPem: pulumi.Input<string>;
    /** This node's certificate and key. */
    nodeTls: KeyPair;
    /** Client certificate the Docker provider presents, and the CA that signed it (dockerd trusts no other). */
    operatorTls: KeyPair;
    dockerApiCaCertPem: pulumi.Input<string>;
    /** Nothing on the host changes before these (the membership guard, after every host's key was checked). */
    after?: pulumi.Resource[];
}

/** How the program logs in to a node; every connection checks the host's key. */
export function hostLogin(node: NodeSpec, c: ClusterConfig, sshPrivateKey: pulumi.Input<string>, hostKey: pulumi.Input<string>): HostLogin {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: node.address,
        port: c.ssh.port,
        user: c.ssh.user,
        privateKey: sshPrivateKey,
        hostKey,
        dialErrorLimit: c.ssh.dialErrorLimit,
        perDialTimeout: 10,
    };
    return { node: node.name, connection, sudo: c.ssh.user !== "root" };
}

/** `type key` of an OpenSSH public key line, without its comment. Pure. */
export const hostKeyLine = (text: string): string => text.trim().split(/\s+/).slice(0, 2).join(" ");

/**
 * Per node, the SSH key its connections verify: the configured `hostKey`, or with trust on first
 * use the key its first connection read, kept in the stack's state. That one connection is the
 * only unverified one, and sends nothing secret; a later change of the host's key is refused by
 * every other. A node at a new address is a new host: its key is learned anew.
 */
export function hostKeys(c: ClusterConfig, sshPrivateKey: pulumi.Input<string>): Record<string, pulumi.Input<string>> {
    return Object.fromEntries(c.nodes.map((n) => {
        if (n.hostKey) return [n.name, n.hostKey];
        const learned = new command.remote.Command(`${n.name}-host-key`, {
            connection: { host: n.address, port: c.ssh.port, user: c.ssh.user, privateKey: sshPrivateKey, dialErrorLimit: c.ssh.dialErrorLimit, perDialTimeout: 10 },
            create: `cat ${HOST_KEY_FILE}`,
        });
        return [n.name, learned.stdout.apply((out) => {
            const key = hostKeyLine(out);
            if (!isHostKey(key)) throw new Error(`${n.name}: ${HOST_KEY_FILE} on ${n.address} holds no SSH host key`);
            return key;
        })];
    }));
}

/**
 * One existing Linux host: SSH reachability, base OS, cluster /etc/hosts, firewall, certificates and
 * (on data nodes) a Docker engine with a provider bound to it.
 */
export class Host extends pulumi.ComponentResource {
    public readonly login: HostLogin;
    /** Base OS done: packages, sysctl, time sync, certificates on disk. */
    public readonly ready: pulumi.Resource[];
    /** Every cluster name resolves (needed before anything dials a peer by name). */
    public readonly hostsFile: command.remote.Command;
    public readonly firewall: command.remote.Command;
    /** The Docker engine is running with its TLS API. Absent on the arbiter, which runs no containers. */
    public readonly engine?: command.remote.Command;
    /** Absent on the arbiter, which runs no containers. */
    public readonly docker?: docker.Provider;

    constructor(name: string, args: HostArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:host:Host", name, {}, opts);
        const { node, cluster: c } = args;
        this.login = hostLogin(node, c, args.sshPrivateKey, args.hostKey);
        const login = this.login;

        const base = runScript(`${name}-base`, {
            login,
            script: "base",
            env: {
                NODE_NAME: node.name,
                PACKAGES: packagesFor(node, c).join(" "),
                SYSCTL: renderSysctl(c.host.sysctl),
                TIME_SYNC: c.host.timeSync ? "1" : "0",
            },
            deleteScript: "base-delete",
        }, { parent: this, dependsOn: args.after });

        this.hostsFile = runScript(`${name}-hosts`, {
            login,
            script: "hosts",
            env: { HOSTS_BLOCK: renderHostsBlock(c.nodes) },
            deleteScript: "hosts-delete",
        }, { parent: this, dependsOn: args.after });

        this.firewall = runScript(`${name}-firewall`, {
            login,
            script: "firewall",
            env: {
                ENABLED: c.firewall.enabled ? "1" : "0",
                RULESET: renderFirewall(c, c.ssh.port),
                MANAGEMENT_CIDRS: managementCidrs(c).join(" "),
            },
            deleteScript: "firewall-delete",
        }, { parent: this, dependsOn: [base] });

        const certs = runScript(`${name}-tls`, {
            login,
            script: "tls",
            env: { CA_CERT: args.caCertPem, NODE_CERT: args.nodeTls.certPem, NODE_KEY: args.nodeTls.keyPem },
            deleteScript: "tls-delete",
        }, { parent: this, dependsOn: args.after });

        this.ready = [base, certs, this.hostsFile];

        if (!node.arbiter) {
            const engine = this.engine = runScript(`${name}-docker`, {
                login,
                script: "docker",
                env: { DAEMON_JSON: renderDockerDaemon(), API_ADDRESS: node.address, API_PORT: String(c.host.dockerApiPort), API_CA: args.dockerApiCaCertPem },
                deleteScript: "docker-delete",
            }, { parent: this, dependsOn: [base, certs] });
            this.docker = new docker.Provider(`${name}-docker-api`, {
                host: `tcp://${hostPort(node.address, c.host.dockerApiPort)}`,
                caMaterial: args.caCertPem,
                certMaterial: args.operatorTls.certPem,
                keyMaterial: args.operatorTls.keyPem,
            }, { parent: this, dependsOn: [engine, this.firewall] });
        }
        this.registerOutputs({});
    }
}
