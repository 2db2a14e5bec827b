export * from "./host";
export * from "./remoteScript";
export * from "./render";
export * from "./hostKeyCheck";
export * from "./paths";
