export * from "./headers";
export * from "./pipeline";
export * from "./reply-rewriter";
export * from "./result-uris";
export * from "./route";
export * from "./sanitize-failure";
export * from "./server-request-ids";
export * from "./sse-id-rewriter";
