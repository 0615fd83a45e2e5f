export * from "./admin-bodies";
export * from "./consumer-errors";
export * from "./consumer-registry";
export * from "./consumer-store";
export * from "./file-consumer-store";
export * from "./open-consumer-store";
export * from "./postgres-consumer-store";
export * from "./redis-consumer-store";
