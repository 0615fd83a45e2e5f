export * from "./access-policy";
export * from "./admission";
export * from "./audit-ticket";
export * from "./auth-failure";
export * from "./create-security";
export * from "./resource-uri";
export * from "./security-gate";
export * from "./visible-lists";
