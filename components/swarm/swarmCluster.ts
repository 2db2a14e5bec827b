import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig, hostPort, NodeSpec } from "../config";
import { Host, HostLogin, runScript } from "../host";
import { FIRST_LABEL, NODE_LABEL } from "./stackFile";

export interface SwarmClusterArgs {
    cluster: ClusterConfig;
    hosts: Record<string, Host>;
    /** The second manager's step that hands a new first host a manager token (see swarmRejoin). */
    rejoin?: command.remote.Command;
}

/**
 * Runs on the second manager before anything changes: when the first node's host was lost and its
 * name given a new address, prints a manager join token for the new host (a secret output), and
 * refuses while the first node's old host still answers. Re-runs whenever the first node's address
 * changes. None with a single manager.
 */
export function swarmRejoin(c: ClusterConfig, loginOf: (n: NodeSpec) => HostLogin, after: pulumi.Resource[] = []): command.remote.Command | undefined {
    const second = c.managers[1];
    if (!second) return undefined;
    return runScript("swarm-rejoin", {
        login: loginOf(second),
        script: "swarm-rejoin",
        env: { FIRST_NAME: c.first.name, FIRST_ADDR: c.first.clusterAddress, NODE_LABEL },
    }, { dependsOn: after });
}


/**
 * Docker Swarm over the hosts' engines: the first node initialises it, the next managers and then
 * workers join with tokens that stay secret, and every node carries the label services are pinned
 * by. Growing the node list joins only the new nodes; a worker taken off it is drained, removed
 * and leaves; a node given a new host takes its name's label and the lost node's entry goes (a new
 * first host joins through the second manager with the token `rejoin` hands it).
 */
export class SwarmCluster extends pulumi.ComponentResource {
    /** Per node: joined and labelled, so services pinned to it can be scheduled. */
    public readonly members: Record<string, command.remote.Command>;
    /** The first manager: where stacks are deployed. */
    public readonly manager: NodeSpec;

    constructor(name: string, args: SwarmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("paperless-ha:swarm:SwarmCluster", name, {}, opts);
        const { cluster: c, hosts } = args;
        this.manager = c.first;
        const first = hosts[c.first.name];
        const engineReady = (n: NodeSpec): pulumi.Resource[] => [...hosts[n.name].ready, hosts[n.name].firewall, ...(hosts[n.name].engine ? [hosts[n.name].engine!] : [])];

        const init = runScript(`${name}-init`, {
            login: first.login,
            script: "swarm-init",
            env: {
                ADVERTISE_ADDR: c.first.clusterAddress,
                NODE_NAME: c.first.name,
                NODE_LABEL,
                FIRST_LABEL,
                MANAGER_TOKEN: args.rejoin ? pulumi.secret(args.rejoin.stdout) : "",
                JOIN_ADDR: c.managers[1] ? hostPort(c.managers[1].clusterAddress, 2377) : "",
            },
            deleteScript: "swarm-leave",
        }, { parent: this, dependsOn: engineReady(c.first) });
        const tokens = init.stdout.apply((out) => JSON.parse(out || "{}") as { manager?: string; worker?: string });

        this.members = { [c.first.name]: init };
        const managers = new Set(c.managers.map((m) => m.name));
        for (const n of c.nodes.filter((x) => x.name !== c.first.name)) {
            const role = managers.has(n.name) ? "manager" : "worker";
            const join = runScript(`${name}-${n.name}-join`, {
                login: hosts[n.name].login,
                script: "swarm-join",
                env: {
                    JOIN_TOKEN: pulumi.secret(tokens.apply((t) => t[role] ?? "")),
                    MANAGER_ADDR: hostPort(c.first.clusterAddress, 2377),
                    ADVERTISE_ADDR: n.clusterAddress,
                    NODE_NAME: n.name,
                },
                deleteScript: "swarm-leave",
            }, { parent: this, dependsOn: engineReady(n) });
            this.members[n.name] = runScript(`${name}-${n.name}-label`, {
                login: first.login,
                script: "swarm-label",
                env: { NODE_ID: join.stdout, NODE_NAME: n.name, NODE_LABEL },
                // Taken off the list: drained and removed on the manager before it leaves (its join's delete).
                deleteScript: "swarm-label",
                deleteEnv: { NODE_ID: "", NODE_NAME: n.name, NODE_LABEL },
            }, { parent: this });
        }
        this.registerOutputs({});
    }
}
