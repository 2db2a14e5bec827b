export * from "./clusterSecrets";
