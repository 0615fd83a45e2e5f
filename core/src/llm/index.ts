export * from "./token-budget";
export * from "./memory-token-budgets";
export * from "./redis-token-budgets";
export * from "./open-token-budgets";
