export * from "./redisConf";
export * from "./redisHa";
