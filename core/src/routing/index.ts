export * from "./headers";
export * from "./pipeline";
export * from "./route";
