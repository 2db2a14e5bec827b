export * from "./paperlessApp";
export * from "./paperlessEnv";
