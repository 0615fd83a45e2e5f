export * from "./args";
export * from "./gateway-process";
