export * from "./duration";
export * from "./load";
export * from "./schema";
export * from "./watch";
export * from "./fields";
export * from "./security-schema";
export * from "./json-schema";
export * from "./tracing-schema";
