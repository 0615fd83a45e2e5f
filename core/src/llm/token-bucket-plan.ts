import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { TokenBudgetVerdict, TokenCaps, TokenLimits, TokenUsage } from "./token-budget";

/**
 * The bucket math both token budget stores share (the Lua script in token-budget-script.ts is the same algorithm).
 *
 * A cap of `cap` tokens per window `w` is a bucket refilled at cap/w, kept as the time (µs) at which it would be full
 * again, `fullAt` (GCRA): the room left at `now` is cap × (1 − (fullAt − now)/w), so the bucket has room while
 * `fullAt − now < w`, and a charge of n tokens moves `fullAt` on by n·w/cap µs (rounded up to the µs, in the
 * gateway's favour). All state is integer µs, so the comparison is exact in JavaScript and in Redis' Lua alike.
 * A charge may overdraw, down to −cap (fullAt ≤ now + 2w): one huge reply blocks its consumer for at most one more
 * window instead of for days. A missing bucket is full.
 *
 * A round reserves its likely tokens when admitted (`admit`: the check and the charge of the reservation in one step)
 * and settles when it ends: the charge moves by chargeUs(actual) − chargeUs(reserved), which may be negative (unused
 * reservation given back), but never past the bucket's full level (fullAt ≥ now).
 */

/** One configured cap: its name as in the config, its field in the store, window and capacity. */
export interface PlannedBucket {
  /** e.g. "perMinute.total": what a verdict names. */
  limit: string;
  /** Short field name in the store: "m.t", "d.i", … */
  field: string;
  windowUs: number;
  cap: number;
  kind: keyof TokenCaps;
}

const WINDOWS = [
  ["perMinute", "m", 60_000_000],
  ["perDay", "d", 86_400_000_000],
] as const;
const KINDS = [
  ["input", "i"],
  ["output", "o"],
  ["total", "t"],
] as const;

/** The configured caps of `limits`, in verdict order (per minute before per day; input, output, total); validated. */
export function planBuckets(limits: TokenLimits): PlannedBucket[] {
  const buckets: PlannedBucket[] = [];
  for (const [window, w, windowUs] of WINDOWS) {
    const caps = limits[window];
    if (caps === undefined) continue;
    for (const [kind, k] of KINDS) {
      const cap = caps[kind];
      if (cap === undefined) continue;
      const limit = `${window}.${kind}`;
      if (!Number.isSafeInteger(cap) || cap < 1) {
        throw invalid(`invalid LLM token limit ${limit}: must be a positive integer (got ${String(cap)})`);
      }
      buckets.push({ limit, field: `${w}.${k}`, windowUs, cap, kind });
    }
  }
  return buckets;
}

/** Throws a clear error unless both counts are non-negative integers (what a provider's usage must be). */
export function validateUsage(usage: TokenUsage): void {
  for (const name of ["input", "output"] as const) {
    const n = usage[name];
    if (!Number.isSafeInteger(n) || n < 0) {
      throw invalid(`invalid LLM token usage: ${name} must be a non-negative integer (got ${String(n)})`);
    }
  }
}

function invalid(message: string): GatewayError {
  return new GatewayError(JsonRpcErrorCode.InternalError, message, { httpStatus: 500 });
}

/** The tokens of `usage` a bucket of this kind is charged: input, output, or both. */
export function tokensFor(kind: keyof TokenCaps, usage: TokenUsage): number {
  if (kind === "input") return usage.input;
  if (kind === "output") return usage.output;
  return usage.input + usage.output;
}

/** How far (µs) a charge of `tokens` moves a bucket's fullAt: tokens·w/cap, rounded up (at most the 2w the overdraft bound allows). */
export function chargeUs(bucket: PlannedBucket, tokens: number): number {
  return Math.min(Math.ceil((tokens * bucket.windowUs) / bucket.cap), 2 * bucket.windowUs);
}

/** The verdict for buckets whose fullAt values are `fullAt(field)` (undefined: full) at `nowUs`. */
export function verdictAt(
  buckets: readonly PlannedBucket[],
  fullAt: (field: string) => number | undefined,
  nowUs: number,
): TokenBudgetVerdict {
  for (const bucket of buckets) {
    const behind = (fullAt(bucket.field) ?? nowUs) - nowUs - bucket.windowUs;
    // Room while fullAt − now < w; else it comes back in the first whole ms past fullAt − w.
    if (behind >= 0) return { allowed: false, limit: bucket.limit, retryAfterMs: Math.floor(behind / 1000) + 1 };
  }
  return { allowed: true };
}

/** How far (µs) settling a round moves a bucket: its actual charge less the reserved one (negative: give back). */
export function settleUs(bucket: PlannedBucket, reserved: TokenUsage, actual: TokenUsage): number {
  return chargeUs(bucket, tokensFor(bucket.kind, actual)) - chargeUs(bucket, tokensFor(bucket.kind, reserved));
}

/**
 * The fullAt a bucket has after a charge of `costUs` (negative: a refund) at `nowUs`: overdraft bounded at −cap
 * (now + 2w), and a refund never fills it past full (now).
 */
export function chargedFullAt(previous: number | undefined, costUs: number, windowUs: number, nowUs: number): number {
  return Math.max(Math.min(Math.max(previous ?? nowUs, nowUs) + costUs, nowUs + 2 * windowUs), nowUs);
}
