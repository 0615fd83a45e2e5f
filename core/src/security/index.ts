export * from "./host-guard";
export * from "./cors";
