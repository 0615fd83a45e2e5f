export * from "./message";
export * from "./methods";
