import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { APP_CONTAINER, imageVersion, MAJOR_UPGRADE_FROM } from "../app/release";
import { appServiceName } from "../app/paperlessSwarm";
import { ClusterConfig } from "../config";
import { ETCD_TLS_DIR } from "../database";
import { HostLogin, runScript } from "../host";
import { glusterPlan } from "../storage";
import { FIRST_LABEL, NODE_LABEL } from "../swarm";

/** What the guard counts against: the member counts this node list asks for. Pure. */
export function guardEnv(c: ClusterConfig): Record<string, string> {
    const env: Record<string, string> = { FORCE: c.forceShrink ? "1" : "0" };
    const version = imageVersion(c.app.image);
    if (version) {
        env.APP_VERSION_WANT = version;
        // The name of the app's container on a node, or the prefix of its swarm task containers'.
        env.APP_CONTAINER = c.topology === "swarm" ? appServiceName() : APP_CONTAINER;
        env.MAJOR_UPGRADE_FROM = Object.entries(MAJOR_UPGRADE_FROM).map(([major, from]) => `${major}=${from}`).join(" ");
    }
    if (c.topology === "classic" && c.database.engine === "patroni") {
        env.ETCD_TLS = ETCD_TLS_DIR;
        env.ETCD_WANT = String(c.nodes.length);
    }
    if (c.storage.backend === "glusterfs") {
        env.VOLUME = c.storage.gluster.volume;
        env.BRICKS_WANT = String(glusterPlan(c).bricks.length);
    }
    if (c.topology === "swarm") {
        env.MANAGERS_WANT = String(c.managers.length);
        env.MANAGERS = c.managers.map((m) => `${m.name}=${m.clusterAddress}`).join(" ");
        env.NODE_LABEL = NODE_LABEL;
        env.FIRST_LABEL = FIRST_LABEL;
        // A SeaweedFS master's raft peers are addresses in every master's command line.
        env.REPLACE_MANAGERS = c.storage.backend === "seaweedfs" ? "0" : "1";
    }
    return env;
}

/**
 * Runs on the first node before anything on any host changes, and refuses a node list that would
 * take a quorum of three or more below three unless `forceShrink` is set, or (swarm) would drop a
 * manager or move one whose host still answers; and an `app.image` whose release the running
 * Paperless-ngx cannot migrate to. The counts are read from the running cluster
 * because the stack config only knows the list it wants. `rejoin` (swarm) tells it whether the
 * second manager saw the first node's host lost. It runs after `after` (every host's key checked).
 */
export function membershipGuard(c: ClusterConfig, login: HostLogin, after: pulumi.Resource[], rejoin?: command.remote.Command): command.remote.Command {
    const env: Record<string, pulumi.Input<string>> = { ...guardEnv(c) };
    if (rejoin) env.FIRST_REJOINS = rejoin.stdout.apply((token) => (token.trim() ? "1" : "0"));
    return runScript("membership-guard", { login, script: "membership-guard", env }, { dependsOn: after });
}
