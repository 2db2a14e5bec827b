import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../config";
import { HostLogin, runScript } from "../host";
import { patroniContainer } from "./patroniStack";

/**
 * Runs on the first node before any host changes: a Patroni leader on a node taken off the list
 * hands over to a listed standby while every firewall still admits it and its etcd member stands.
 * On the swarm, patronictl runs in the first node's Patroni container.
 */
export function patroniHandover(c: ClusterConfig, login: HostLogin, after: pulumi.Resource): command.remote.Command {
    return runScript("db-handover", {
        login,
        script: "patroni-handover",
        env: {
            MEMBERS: c.dataNodes.map((n) => n.name).join(" "),
            ...(c.topology === "swarm" ? { CONTAINER: patroniContainer(c.first.name) } : {}),
        },
    }, { dependsOn: [after] });
}
