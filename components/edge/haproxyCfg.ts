import { isIP } from "node:net";
import { ClusterConfig } from "../config";

export const HAPROXY_PEM = "/etc/haproxy/paperless-ha.pem";

const server = (addr: string, port: number) => (isIP(addr) === 6 ? `[${addr}]:${port}` : `${addr}:${port}`);

/**
 * haproxy.cfg for every node: one frontend, every app instance as a backend server, health from
 * `/api/` (any answer short of a server error means the instance serves requests). Pure.
 */
export function renderHaproxyCfg(c: ClusterConfig, pemPath = HAPROXY_PEM): string {
    const e = c.edge;
    const binds = e.tls
        ? [`    bind :${e.httpPort}`, `    bind :${e.httpsPort} ssl crt ${pemPath} alpn h2,http/1.1`,
            "    http-request redirect scheme https code 301 unless { ssl_fc }",
            "    http-request set-header X-Forwarded-Proto https if { ssl_fc }"]
        : [`    bind :${e.httpPort}`];
    const servers = c.dataNodes.map((n) => `    server ${n.name} ${server(n.clusterAddress, c.app.port)} check`);
    return [
        "# Managed by paperless-ha; local edits are overwritten.",
        "global",
        "    log /dev/log local0",
        "    maxconn 4096",
        "    user haproxy",
        "    group haproxy",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2",
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option forwardfor",
        "    timeout connect 5s",
        "    timeout client 60s",
        // Uploads and OCR-heavy requests take a while.
        "    timeout server 300s",
        "    timeout http-request 30s",
        "    timeout tunnel 1h",
        "",
        "frontend paperless",
        ...binds,
        "    default_backend paperless",
        "",
        "backend paperless",
        "    balance roundrobin",
        "    option httpchk GET /api/",
        "    http-check expect rstatus ^([23][0-9][0-9]|401|403)$",
        "    default-server inter 2s fall 3 rise 2",
        ...servers,
        "",
    ].join("\n");
}
