import { isIP } from "node:net";
import { ClusterConfig, NodeSpec } from "../config";

/** Stands for the interface that holds the node's cluster address; scripts/host/keepalived.sh finds it. */
export const INTERFACE_PLACEHOLDER = "@INTERFACE@";

/** VRRP adverts every half second: a holder that stops sending loses the address in about 1.6 s. */
const ADVERT_INTERVAL_S = 0.5;

/**
 * keepalived.conf of one data node: the cluster's virtual address on one node whose HAProxy runs.
 * Every node starts as a backup and the highest priority (the first listed) wins the first election;
 * none takes the address back when it returns (nopreempt), so a node that comes and goes moves it
 * once, not twice. Adverts go unicast to the other data nodes (no multicast needed on the LAN; the
 * firewall admits VRRP from the nodes only). Pure.
 */
export function renderKeepalivedConf(c: ClusterConfig, node: NodeSpec): string {
    const vip = c.edge.virtualAddress;
    if (!vip) throw new Error("renderKeepalivedConf: edge.virtualAddress is not set");
    const rank = c.dataNodes.findIndex((n) => n.name === node.name);
    if (rank < 0) throw new Error(`renderKeepalivedConf: ${node.name} is not a data node`);
    const peers = c.dataNodes.filter((n) => n.name !== node.name).map((n) => `        ${n.clusterAddress}`);
    return [
        "# paperless-ha: the cluster's virtual address follows a node whose HAProxy runs.",
        "global_defs {",
        "    enable_script_security",
        "    script_user root",
        "    vrrp_version 3",
        "}",
        "vrrp_script paperless_ha_haproxy {",
        "    script \"/usr/bin/systemctl is-active --quiet haproxy\"",
        "    interval 1",
        "    timeout 2",
        "    fall 2",
        "    rise 1",
        "}",
        "vrrp_instance paperless_ha {",
        "    state BACKUP",
        `    interface ${INTERFACE_PLACEHOLDER}`,
        `    virtual_router_id ${c.edge.virtualRouterId}`,
        `    priority ${200 - rank}`,
        "    nopreempt",
        `    advert_int ${ADVERT_INTERVAL_S}`,
        `    unicast_src_ip ${node.clusterAddress}`,
        "    unicast_peer {",
        ...peers,
        "    }",
        "    virtual_ipaddress {",
        `        ${vip}/${isIP(vip) === 6 ? 128 : 32}`,
        "    }",
        "    track_script {",
        "        paperless_ha_haproxy",
        "    }",
        "}",
    ].join("\n") + "\n";
}
