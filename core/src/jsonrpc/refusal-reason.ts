import { JsonRpcErrorCode } from "../errors";

// Bounded reason labels: the snake_case name of the refusal's JSON-RPC code ("forbidden", "rate_limited", …).
const REASONS = new Map<number, string>(
  Object.entries(JsonRpcErrorCode).map(([name, code]) => [
    code,
    name.replace(/[A-Z]/g, (c, at: number) => (at ? "_" : "") + c.toLowerCase()),
  ]),
);

/** The access logs' `mcp_reason` for a refusal's JSON-RPC code (`forbidden`, `rate_limited`, …; "error" if unknown). */
export function refusalReason(code: number): string {
  return REASONS.get(code) ?? "error";
}
