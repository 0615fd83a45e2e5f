export * from "./api-keys";
export * from "./auth-errors";
export * from "./authenticator";
export * from "./credentials";
export * from "./identity";
export * from "./jwt-options";
export * from "./jwt-verifier";
export * from "./protected-resource";
