export * from "./message";
export * from "./methods";
export * from "./json-depth";
export * from "./metric-labels";
export * from "./refusal-reason";
