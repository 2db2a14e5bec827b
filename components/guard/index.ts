export * from "./membershipGuard";
