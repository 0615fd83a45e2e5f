export * from "./catalog";
export * from "./glob";
export * from "./resource-uris";
export * from "./exposure";
