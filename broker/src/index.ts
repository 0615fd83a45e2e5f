export * from "./app";
export * from "./broker";
export * from "./broker-methods";
export * from "./catalog-changes";
export * from "./metrics";
export * from "./notification-hub";
export * from "./standalone-forwarder";
export * from "./upstream-relay";
