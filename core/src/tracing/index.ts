export * from "./mcp-attributes";
export * from "./propagation";
export * from "./request-span";
export * from "./tracing";
export * from "./reply-outcome";
