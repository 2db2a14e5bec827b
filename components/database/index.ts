export * from "./databaseArgs";
export * from "./patroniCluster";
export * from "./patroniConf";
export * from "./pgactiveGroup";
export * from "./postgresConf";
export * from "./sequences";
export * from "./patroniStack";
export * from "./patroniSwarm";
