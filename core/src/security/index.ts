export * from "./host-guard";
