export * from "./glusterPlan";
export * from "./glusterVolume";
