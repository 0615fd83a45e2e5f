export * from "./headers";
export * from "./pipeline";
export * from "./route";
export * from "./server-request-ids";
export * from "./sse-id-rewriter";
