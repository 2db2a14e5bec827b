import { isIP } from "node:net";
import { hostPort } from "../config";

/**
 * Each node tells every HAProxy whether its app takes new requests (HAProxy's agent check): the
 * answer is this file's word, `drain` while a rolling update replaces the node's instance, else
 * `ready`. A drained server gets no new request from any balancer, so stopping it drops none.
 */
export const DRAIN_STATE_FILE = "/run/paperless-ha/app-agent";
export const DRAIN_AGENT_UNIT = "paperless-ha-drain-agent";
/** How often every HAProxy asks; a drain waits a few of these before the instance stops. */
export const DRAIN_AGENT_INTERVAL_S = 1;

/** The listening socket on the node's cluster address (the firewall admits only other nodes). Pure. */
export function renderDrainAgentSocket(clusterAddress: string, port: number): string {
    if (isIP(clusterAddress) === 0) throw new Error(`drain agent: '${clusterAddress}' is not an IP address`);
    return [
        "# Managed by paperless-ha.",
        "[Unit]",
        "Description=paperless-ha drain agent: tells HAProxy whether this node's app takes new requests",
        "",
        "[Socket]",
        `ListenStream=${hostPort(clusterAddress, port)}`,
        "FreeBind=yes",
        "Accept=yes",
        "MaxConnections=64",
        "",
        "[Install]",
        "WantedBy=sockets.target",
        "",
    ].join("\n");
}

/** One short-lived answer per connection; quiet in the journal (a few connections a second). Pure. */
export function renderDrainAgentService(): string {
    return [
        "# Managed by paperless-ha.",
        "[Unit]",
        "Description=paperless-ha drain agent answer",
        "",
        "[Service]",
        `ExecStart=/bin/sh -c 'cat ${DRAIN_STATE_FILE} 2>/dev/null || echo ready'`,
        "StandardInput=socket",
        "StandardOutput=socket",
        "StandardError=journal",
        "User=nobody",
        "RuntimeMaxSec=5",
        "LogLevelMax=warning",
        "",
    ].join("\n");
}
