import { isIP } from "node:net";

/** A host as URLs and `host:port` write it: an IPv6 address in brackets, anything else as it is. Pure. */
export const bracketed = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** `host:port`, with an IPv6 address in brackets. Pure. */
export const hostPort = (addr: string, port: number) => `${bracketed(addr)}:${port}`;
