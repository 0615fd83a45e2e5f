import { defineScript, type CommandParser } from "redis";
import type { TokenBudgetVerdict } from "./token-budget";
import type { PlannedBucket } from "./token-bucket-plan";

/** Kept past the last bucket's refill so rounding never expires a key whose budgets are still short. */
export const TTL_MARGIN_MS = 1000;

// The algorithm of token-bucket-plan.ts, atomically per key: one hash per consumer key, one field per cap holding the
// µs at which that bucket is full again (integers below 2^53, exact in Lua's doubles, written with %.17g). Time is the
// Redis server's (TIME) unless the caller passes one (ARGV[1], µs; tests). ARGV[2] is "check", "admit" or "charge";
// then (field, window µs, charge µs) per configured cap, in verdict order. A check writes nothing; a charge sets the
// fields (a negative charge, a settled reservation, never fills a bucket past full) and keeps the key until its last
// bucket is full again; an admit checks and, when every cap has room, charges in the same atomic step (a missing key or field reads as full, so expiry changes
// nothing but memory). Replies are integers: {allowed, index of the exhausted cap (1-based), retry ms}.
const TOKEN_BUDGET_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local now = tonumber(ARGV[1])
if now == nil then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local n = (#ARGV - 2) / 3
if ARGV[2] ~= 'charge' then
  for i = 0, n - 1 do
    local at = tonumber(redis.call('HGET', KEYS[1], ARGV[3 + 3 * i])) or now
    local behind = at - now - tonumber(ARGV[4 + 3 * i])
    if behind >= 0 then return {0, i + 1, math.floor(behind / 1000) + 1} end
  end
  if ARGV[2] == 'check' then return {1, 0, 0} end
end
local last = now
for i = 0, n - 1 do
  local field = ARGV[3 + 3 * i]
  local window = tonumber(ARGV[4 + 3 * i])
  local at = math.max(tonumber(redis.call('HGET', KEYS[1], field)) or now, now)
  at = math.max(math.min(at + tonumber(ARGV[5 + 3 * i]), now + 2 * window), now)
  redis.call('HSET', KEYS[1], field, string.format('%.17g', at))
  last = math.max(last, at)
end
local ttl = math.ceil((last - now) / 1000) + ${TTL_MARGIN_MS}
ttl = math.max(ttl, redis.call('PTTL', KEYS[1]))
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl))
return {1, 0, 0}
`;

/** One script call: a check, an admit or a charge (each bucket's charge in µs) of `buckets` at `nowUs` (or server time). */
export interface TokenBudgetCall {
  op: "check" | "admit" | "charge";
  buckets: readonly PlannedBucket[];
  costsUs?: readonly number[];
  nowUs?: number;
}

/** Checks or charges a key's token buckets in Redis; run with EVALSHA, falling back to EVAL on NOSCRIPT. */
export const TOKEN_BUDGET_SCRIPT = defineScript({
  SCRIPT: TOKEN_BUDGET_LUA,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, call: TokenBudgetCall): void {
    parser.pushKey(key);
    parser.push(call.nowUs === undefined ? "" : String(call.nowUs), call.op);
    call.buckets.forEach((bucket, i) => {
      parser.push(bucket.field, String(bucket.windowUs), String(call.costsUs?.[i] ?? 0));
    });
  },
  transformReply: (reply: [number, number, number]): [number, number, number] => reply,
});

/** The verdict a script reply stands for. */
export function verdictFromReply(reply: readonly number[], buckets: readonly PlannedBucket[]): TokenBudgetVerdict {
  if (reply[0] === 1) return { allowed: true };
  const bucket = buckets[(reply[1] ?? 0) - 1];
  if (bucket === undefined) throw new Error(`token budget script answered an unknown cap (${String(reply[1])})`);
  return { allowed: false, limit: bucket.limit, retryAfterMs: reply[2] ?? 0 };
}
