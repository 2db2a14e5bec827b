import { isIP } from "node:net";

/** `host:port`, with an IPv6 address in brackets. Pure. */
export const hostPort = (addr: string, port: number) => (isIP(addr) === 6 ? `[${addr}]:${port}` : `${addr}:${port}`);
