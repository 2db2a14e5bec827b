import { HAPROXY_STATS_PORT } from "../config/fixedPorts";
import { bracketed, ClusterConfig, edgeNames, exactNames, hostPort } from "../config";
import { HOST_CA_CERT } from "../host/paths";
import { checkSecret, REDIS_CHECK_USER, redisServers } from "../redis/redisConf";
import { DRAIN_AGENT_INTERVAL_S } from "./drainAgent";

export const HAPROXY_PEM = "/etc/haproxy/paperless-ha.pem";
/** `edge.certificate` with its key, and the list that serves it to the clients asking for its names. */
export const HAPROXY_PUBLIC_PEM = "/etc/haproxy/paperless-ha-public.pem";
export const HAPROXY_CRT_LIST = "/etc/haproxy/paperless-ha.crt-list";

/**
 * HAProxy's certificate list with `edge.certificate`: the node's own first, which makes it the one
 * served to a client that names no host or another one (addresses: no SNI); its names narrowed to
 * `localhost`, so the public one's names, which node certificates hold too, pick the public one. Pure.
 */
export const renderCrtList = (pemPath = HAPROXY_PEM, publicPemPath = HAPROXY_PUBLIC_PEM) => `${pemPath} localhost\n${publicPemPath}\n`;
export { HAPROXY_STATS_PORT } from "../config/fixedPorts";
export const HAPROXY_STATS_URL = `http://127.0.0.1:${HAPROXY_STATS_PORT}/stats;csv`;

/**
 * For the edge and the database route alike: a LAN answers a connect within milliseconds, so a dead
 * server costs half a second, then the connection is tried again (on another server where there is one).
 */
const CONNECT_TIMEOUT = "    timeout connect 500ms";

/**
 * Checks a returning pgactive writer passes (2 s apart) before it takes the writes back: time for
 * it to apply what the others took meanwhile (seconds, measured in e2e), so no instance reads
 * from it a row it has not caught up with.
 */
export const PGACTIVE_WRITER_RISE = 15;

/**
 * With Patroni, the app reaches the primary through HAProxy on loopback: every node is a server,
 * and only the one whose Patroni REST API answers `/primary` with 200 takes connections. The app's
 * settings then never change when nodes come and go.
 */
function databaseRouter(c: ClusterConfig, caFile: string): string[] {
    if (c.database.engine === "pgactive") return pgactiveRouter(c);
    const p = c.database.patroni;
    return [
        "listen postgres",
        `    bind 127.0.0.1:${p.routerPort}`,
        "    mode tcp",
        "    option tcplog",
        "    timeout client 30m",
        "    timeout server 30m",
        "    option httpchk GET /primary",
        "    http-check expect status 200",
        // A new leader takes connections on its first good check: the route adds at most a second to a failover.
        `    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions check-ssl verify required ca-file ${caFile} port ${p.restApiPort}`,
        ...c.dataNodes.map((n) => `    server ${n.name} ${hostPort(n.clusterAddress, c.database.port)} check`),
        "",
    ];
}

/**
 * With pgactive, every instance writes through one node, the first listed whose PostgreSQL takes
 * connections, so Paperless (which assumes one database) never meets itself in a conflict: the
 * others are hot standbys, already in the group, that take over in the listed order with no
 * promotion. Every node's HAProxy has the same order, so all agree on the writer while they agree
 * on who is up. A writer that comes back takes the writes again only after PGACTIVE_WRITER_RISE
 * checks, and then closes the sessions on the standby, so the two are not written at once.
 */
function pgactiveRouter(c: ClusterConfig): string[] {
    const [writer, ...standbys] = c.dataNodes;
    const server = (n: typeof writer) => `    server ${n.name} ${hostPort(n.clusterAddress, c.database.port)} check`;
    return [
        "listen postgres",
        `    bind 127.0.0.1:${c.database.pgactive.routerPort}`,
        "    mode tcp",
        "    option tcplog",
        "    timeout client 30m",
        "    timeout server 30m",
        "    default-server inter 2s fall 2 rise 2 on-marked-down shutdown-sessions",
        `${server(writer)} rise ${PGACTIVE_WRITER_RISE} on-marked-up shutdown-backup-sessions`,
        ...standbys.map((n) => `${server(n)} backup`),
        "",
    ];
}

/**
 * Paperless reaches Redis through its node's HAProxy, at the one Redis that answers `ROLE` with
 * `master` (asked as the check user, who may do nothing else): when Sentinel moves the master, the
 * route follows within a second or two, and the sessions to the old one are closed, so Celery and
 * the cache reconnect to the new one. `first`: were two to say master for a moment, every node
 * still sends to the same one.
 */
function redisRouter(c: ClusterConfig, checkPassword: string): string[] {
    checkSecret("the Redis check password", checkPassword);
    return [
        "listen redis",
        `    bind 127.0.0.1:${c.app.redisRouterPort}`,
        "    mode tcp",
        "    option tcplog",
        "    balance first",
        // Celery's broker connections idle between tasks.
        "    timeout client 30m",
        "    timeout server 30m",
        "    option tcp-check",
        "    tcp-check connect",
        `    tcp-check send "AUTH ${REDIS_CHECK_USER} ${checkPassword}\\r\\n"`,
        "    tcp-check expect string +OK",
        '    tcp-check send "ROLE\\r\\n"',
        "    tcp-check expect string master",
        '    tcp-check send "QUIT\\r\\n"',
        "    tcp-check expect string +OK",
        "    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions",
        ...redisServers(c).map((r) => `    server ${r.name} ${r.address} check`),
        "",
    ];
}

/**
 * Every `Host` a client may reach the app by: each node's addresses, every edge host name and its virtual address,
 * the exact names of `edge.certificate`, the
 * public URL's host and loopback, bare and with each port the frontend listens on. Checked here
 * and not by Django (`PAPERLESS_ALLOWED_HOSTS`), whose list would restart every instance whenever
 * a node comes or goes; HAProxy reloads without dropping a request. Pure.
 */
export function allowedHosts(c: ClusterConfig): string[] {
    const names = [
        ...c.nodes.flatMap((n) => [n.address, n.clusterAddress]),
        ...edgeNames(c.edge),
        ...(c.edge.certificate ? exactNames(c.edge.certificate) : []),
        ...(c.app.url ? [new URL(c.app.url).hostname] : []),
        "localhost", "127.0.0.1", "::1",
    ].map((h) => bracketed(h).toLowerCase());
    const ports = c.edge.tls ? [c.edge.httpPort, c.edge.httpsPort] : [c.edge.httpPort];
    return [...new Set(names.flatMap((h) => [h, ...ports.map((p) => `${h}:${p}`)]))];
}

/**
 * haproxy.cfg for every data node: with the edge, one frontend that answers 400 to a `Host` the
 * cluster is not reached by, every app instance as a backend server, health from `/api/` (any
 * answer short of a server error means the instance serves requests), new requests only while the
 * node's drain agent says `ready`; the route to the Redis master; on classic also the database
 * router. It holds the Redis check user's password. Pure.
 */
export function renderHaproxyCfg(c: ClusterConfig, redisCheckPassword: string, pemPath = HAPROXY_PEM, caFile = HOST_CA_CERT, crtList = HAPROXY_CRT_LIST): string {
    const e = c.edge;
    const certs = e.certificate ? `crt-list ${crtList}` : `crt ${pemPath}`;
    const binds = [`    bind :${e.httpPort}`, ...(e.tls ? [`    bind :${e.httpsPort} ssl ${certs} alpn h2,http/1.1`] : [])];
    const tlsOnly = e.tls
        ? ["    http-request redirect scheme https code 301 unless { ssl_fc }", "    http-request set-header X-Forwarded-Proto https if { ssl_fc }"]
        : [];
    const servers = c.dataNodes.map((n) => `    server ${n.name} ${hostPort(n.clusterAddress, c.app.port)} check`);
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
        CONNECT_TIMEOUT,
        "    timeout client 60s",
        // Uploads and OCR-heavy requests take a while.
        "    timeout server 300s",
        "    timeout http-request 30s",
        "    timeout tunnel 1h",
        "",
        ...(e.enabled ? [
            "frontend paperless",
            ...binds,
            // First: a forged Host would end up in a redirect and in the links Paperless builds.
            `    http-request deny deny_status 400 unless { req.hdr(host),lower -m str ${allowedHosts(c).join(" ")} }`,
            ...tlsOnly,
            "    default_backend paperless",
            "",
            "backend paperless",
            "    balance roundrobin",
            // With a Host Django always allows (it adds localhost to any PAPERLESS_ALLOWED_HOSTS).
            "    option httpchk",
            "    http-check send meth GET uri /api/ ver HTTP/1.1 hdr Host localhost",
            "    http-check expect rstatus ^([23][0-9][0-9]|401|403)$",
            // Each node's drain agent takes its instance out of every balancer before a rolling
            // update stops it; an agent that does not answer changes nothing.
            // After a failed check the next ones come faster: a dead instance is out within seconds.
            `    default-server inter 2s fastinter 500ms fall 3 rise 2 agent-check agent-port ${e.agentPort} agent-inter ${DRAIN_AGENT_INTERVAL_S}s`,
            // An instance that stopped listening (a rolling update, a crash) costs no request until
            // its check fails: a refused connection is retried on another server. Only reads are
            // also retried after a dropped response; a write could have been applied.
            "    retries 3",
            "    option redispatch 1",
            "    retry-on conn-failure empty-response response-timeout",
            "    http-request disable-l7-retry unless METH_GET",
            ...servers,
            "",
        ] : []),
        "listen stats",
        `    bind 127.0.0.1:${HAPROXY_STATS_PORT}`,
        "    stats enable",
        "    stats uri /stats",
        "",
        ...redisRouter(c, redisCheckPassword),
        // The swarm routes to the primary with its own router service.
        ...(c.topology === "classic" ? databaseRouter(c, caFile) : []),
    ].join("\n");
}

/** haproxy.cfg of the swarm's router service: only the route to the Patroni primary, logged to stdout. Pure. */
export function renderRouterCfg(c: ClusterConfig, caFile = HOST_CA_CERT): string {
    return [
        "# Managed by paperless-ha.",
        "global",
        "    log stdout format raw local0",
        "    maxconn 4096",
        "",
        "defaults",
        "    log global",
        CONNECT_TIMEOUT,
        "",
        ...databaseRouter(c, caFile),
    ].join("\n");
}
