export * from "./backend-sessions";
export * from "./backend-store";
export * from "./gateway-session";
export * from "./memory-store";
export * from "./redis-store";
export * from "./replica-registry";
export * from "./session-ender";
export * from "./consumer-instances";
