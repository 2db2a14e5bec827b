/**
 * Ports the program uses that no setting moves; here so the config check sees them when it looks
 * for two services on one port.
 */
/** HAProxy's CSV statistics on loopback: a rolling update waits there for a server to be back in service. */
export const HAPROXY_STATS_PORT = 8404;
/**
 * Debian's Prometheus port, kept: a changed listen address needs a restart, and a restart (unlike
 * the reload a new config gets) leaves the series of dropped targets looking live for 5 minutes.
 */
export const PROMETHEUS_PORT = 9090;
