export * from "./stdio-bridge";
export * from "./stdio-server-pool";
