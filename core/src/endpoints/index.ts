export * from "./endpoints";
export * from "./endpoint-exposure";
