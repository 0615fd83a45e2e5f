export * from "./memory-rate-limiter";
export * from "./open-rate-limiter";
export * from "./rate-limiter";
export * from "./redis-rate-limiter";
