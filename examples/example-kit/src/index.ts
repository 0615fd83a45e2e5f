export * from "./cli-args";
export * from "./json-result";
export * from "./mcp-http-app";
export * from "./run-main";
export * from "./session-registry";
export * from "./child-process";
