export * from "./args";
export * from "./commands";
export * from "./gateway-process";
export * from "./main";
export * from "./validate-command";
