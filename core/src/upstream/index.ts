export * from "./sse";
export * from "./upstream-http";
