export * from "./dataDirs";
export * from "./stackFile";
export * from "./swarmCluster";
export * from "./swarmStack";
