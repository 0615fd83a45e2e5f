import type { TokenUsage } from "./token-budget";

/** Tokens of a whole LLM request (every provider round added up). */
export interface UsageTotals extends TokenUsage {
  total: number;
}

/** No tokens yet. */
export function noUsage(): UsageTotals {
  return { input: 0, output: 0, total: 0 };
}

/** Most tokens one round is taken to report: a larger count is a provider's error, kept integral and summable. */
const MAX_ROUND_TOKENS = 2 ** 40;

function count(value: unknown): number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0
    ? Math.min(Math.ceil(value), MAX_ROUND_TOKENS)
    : 0;
}

/** A round's usage as either wire format reports it (`prompt_tokens`/`completion_tokens` or `input_tokens`/`output_tokens`). */
export function readUsage(usage: unknown): UsageTotals {
  if (typeof usage !== "object" || usage === null) return noUsage();
  const u = usage as Record<string, unknown>;
  const input = count(u["prompt_tokens"] ?? u["input_tokens"]);
  const output = count(u["completion_tokens"] ?? u["output_tokens"]);
  const total = count(u["total_tokens"]) || input + output;
  return { input, output, total };
}

/** `a` plus `b`. */
export function addUsage(a: UsageTotals, b: UsageTotals): UsageTotals {
  return { input: a.input + b.input, output: a.output + b.output, total: a.total + b.total };
}
