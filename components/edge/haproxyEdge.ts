import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { holdsVirtualAddress, Host, runScript } from "../host";
import { KeyPair } from "../pki";
import { DRAIN_AGENT_UNIT, DRAIN_STATE_FILE, renderDrainAgentService, renderDrainAgentSocket } from "./drainAgent";
import { HAPROXY_CRT_LIST, HAPROXY_PEM, HAPROXY_PUBLIC_PEM, renderCrtList, renderHaproxyCfg } from "./haproxyCfg";
import { renderKeepalivedConf } from "./keepalivedConf";

export interface HaproxyEdgeArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    /** Per node certificate and key; HAProxy serves the node's own. */
    nodeTls: Record<string, KeyPair>;
    /** The Redis check user's, in haproxy.cfg. */
    redisCheckPassword: pulumi.Output<string>;
    /** The key of `edge.certificate`, when there is one. */
    edgeCertificateKey?: pulumi.Output<string>;
}

/**
 * HAProxy on every data node: the route to the Redis master and, on classic, to the database; with
 * the edge it balances over every app instance, so any node's address serves, and with it each
 * node's drain agent, which takes the node's instance out of every balancer on request, and
 * with `edge.virtualAddress` keepalived, which keeps that one address on a node whose HAProxy runs.
 */
export class HaproxyEdge extends pulumi.ComponentResource {
    public readonly balancers: Record<string, command.remote.Command>;

    constructor(name: string, args: HaproxyEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:edge:HaproxyEdge", name, {}, opts);
        const { cluster: c, hosts } = args;
        const cfg = pulumi.secret(args.redisCheckPassword.apply((p) => renderHaproxyCfg(c, p)));
        const certificate = c.edge.certificate;
        if (certificate && !args.edgeCertificateKey) throw new Error("edge.certificate needs its key (edgeCertificateKey)");
        // Served as is on every node: the chain, then the key.
        const publicPem = certificate ? pulumi.secret(args.edgeCertificateKey!.apply((key) => `${certificate.trim()}\n${key.trim()}\n`)) : "";
        const files = { PEM_PATH: HAPROXY_PEM, PUBLIC_PEM_PATH: HAPROXY_PUBLIC_PEM, CRT_LIST_PATH: HAPROXY_CRT_LIST };
        this.balancers = Object.fromEntries(c.dataNodes.map((n) => [n.name, runScript(`${name}-${n.name}-haproxy`, {
            login: hosts[n.name].login,
            script: "haproxy",
            env: {
                CONFIG: cfg,
                ...files,
                PUBLIC_PEM: publicPem,
                CRT_LIST: certificate ? renderCrtList() : "",
                PEM: pulumi.all([args.nodeTls[n.name].certPem, args.nodeTls[n.name].keyPem]).apply(([crt, key]) => `${crt.trim()}\n${key.trim()}\n`),
                AGENT_UNIT: DRAIN_AGENT_UNIT,
                AGENT_SOCKET: c.edge.enabled ? renderDrainAgentSocket(n.clusterAddress, c.edge.agentPort) : "",
                AGENT_SERVICE: c.edge.enabled ? renderDrainAgentService() : "",
            },
            deleteScript: "haproxy-delete",
            deleteEnv: { ...files, AGENT_UNIT: DRAIN_AGENT_UNIT, AGENT_STATE: DRAIN_STATE_FILE },
        }, { parent: this, dependsOn: [...hosts[n.name].ready, hosts[n.name].firewall] })]));
        if (holdsVirtualAddress(c)) {
            for (const n of c.dataNodes) {
                runScript(`${name}-${n.name}-keepalived`, {
                    login: hosts[n.name].login,
                    script: "keepalived",
                    env: { CONFIG: renderKeepalivedConf(c, n), SRC_IP: n.clusterAddress },
                    deleteScript: "keepalived-delete",
                }, { parent: this, dependsOn: [this.balancers[n.name]] });
            }
        }
        this.registerOutputs({});
    }
}
