export * from "./host-guard";
export * from "./cors";
export * from "./request-limits";
