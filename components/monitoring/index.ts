export * from "./clusterMonitoring";
export * from "./monitoringConf";
