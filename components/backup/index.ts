export * from "./backupConf";
export * from "./clusterBackup";
