export * from "./config";
export * from "./errors";
export * from "./jsonrpc";
export * from "./session";
export * from "./upstream";
