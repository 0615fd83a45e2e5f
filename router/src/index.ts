export * from "./ext-proc-messages";
export * from "./ext-proc-proto";
export * from "./metrics";
export * from "./metrics-server";
export * from "./mutations";
export * from "./router";
export * from "./stream-processor";
export * from "./envoy-config/render-envoy";
