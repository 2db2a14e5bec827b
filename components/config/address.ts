import { isIP } from "node:net";

/** A host as URLs and `host:port` write it: an IPv6 address in brackets, anything else as it is. Pure. */
export const bracketed = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

/** `host:port`, with an IPv6 address in brackets. Pure. */
export const hostPort = (addr: string, port: number) => `${bracketed(addr)}:${port}`;

/** What users reach the edge by besides the nodes' own addresses: its host names, then its virtual address. Pure. */
export const edgeNames = (edge: { hostnames: string[]; virtualAddress?: string }): string[] =>
    [...edge.hostnames, ...(edge.virtualAddress ? [edge.virtualAddress] : [])];
