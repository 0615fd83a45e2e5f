export * from "./message";
export * from "./methods";
export * from "./json-depth";
