export * from "./clusterPki";
