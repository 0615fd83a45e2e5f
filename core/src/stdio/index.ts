export * from "./backoff";
export * from "./stdio-instance";
export * from "./stdio-multiplexer";
export * from "./bridge-token";
export * from "./stderr-lines";
