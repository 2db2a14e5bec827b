export * from "./drainAgent";
export * from "./haproxyCfg";
export * from "./haproxyEdge";
