export * from "./glusterPlan";
export * from "./glusterVolume";
export * from "./seaweedCluster";
export * from "./seaweedStack";
