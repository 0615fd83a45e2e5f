export * from "./cache-hint";
export * from "./capabilities";
export * from "./classify";
export * from "./list-changes";
export * from "./listen-bus";
export * from "./modern-edge";
export * from "./modern-server";
export * from "./upstream-call";
