export * from "./listing";
export * from "./sse";
export * from "./upstream-connection";
export * from "./upstream-http";
export * from "./upstream-manager";
export * from "./upstream-failure";
export * from "./upstream-session";
export * from "./x-mcp-header";
