export * from "./admin-app";
export * from "./admin-auth";
export * from "./consumer-view";
