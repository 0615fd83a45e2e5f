export * from "./endpoints";
export * from "./endpoint-exposure";
export * from "./endpoint-access";
