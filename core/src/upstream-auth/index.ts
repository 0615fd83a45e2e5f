export * from "./cached-token";
export * from "./token-endpoint";
export * from "./upstream-credentials";
export * from "./call-auth";
export * from "./authed-fetch";
export * from "./upstream-refusal";
export * from "./refresh-store";
export * from "./postgres-refresh-store";
