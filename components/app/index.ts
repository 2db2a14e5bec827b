export * from "./paperlessApp";
export * from "./paperlessEnv";
export * from "./paperlessStack";
export * from "./paperlessSwarm";
export * from "./release";
