export * from "./catalog";
export * from "./glob";
