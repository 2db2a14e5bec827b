export * from "./schema";
export * from "./validate";
export * from "./load";
export * from "./address";
export * from "./edgeCertificate";
