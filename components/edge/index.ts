export * from "./haproxyCfg";
export * from "./haproxyEdge";
