export * from "./drainAgent";
export * from "./haproxyCfg";
export * from "./haproxyEdge";
export * from "./keepalivedConf";
