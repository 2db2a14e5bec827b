export * from "./pgactiveGroup";
export * from "./postgresConf";
export * from "./sequences";
