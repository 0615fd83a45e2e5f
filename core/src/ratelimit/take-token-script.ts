import { defineScript, type CommandParser } from "redis";
import type { RateLimitOutcome, RateLimitSpec } from "./rate-limiter";
import { MAX_WAIT_MS, TOKEN_EPSILON } from "./token-bucket";

/** Kept past the full-refill time so rounding never expires a bucket that is still short of tokens. */
const TTL_MARGIN_MS = 1000;

// The algorithm of token-bucket.ts, atomically per key. Time is the Redis server's (TIME), so replicas whose clocks
// disagree still share one timeline. Tokens and time are stored with "%.17g" so no precision is lost between calls
// (tostring would keep 14 digits). The key expires once the bucket would be full again: a missing key reads as full,
// so expiry changes nothing but memory. Integers go back to the client (Lua floats would be truncated anyway).
const TAKE_TOKEN_LUA = `
if redis.replicate_commands then redis.replicate_commands() end
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local last = tonumber(state[2])
if tokens == nil or last == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - last) * rate / 1000)
end
local allowed, retry = 0, 0
if tokens >= 1 - ${TOKEN_EPSILON} then
  tokens = math.max(0, tokens - 1)
  allowed = 1
else
  retry = math.min(${MAX_WAIT_MS}, math.ceil((1 - tokens) * 1000 / rate))
end
local ttl = math.min(${MAX_WAIT_MS}, math.ceil((burst - tokens) * 1000 / rate)) + ${TTL_MARGIN_MS}
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
redis.call('PEXPIRE', KEYS[1], string.format('%d', ttl))
return {allowed, math.floor(tokens + ${TOKEN_EPSILON}), retry}
`;

/** Takes one token from a Redis-held bucket; the client runs it with EVALSHA and falls back to EVAL on NOSCRIPT. */
export const TAKE_TOKEN_SCRIPT = defineScript({
  SCRIPT: TAKE_TOKEN_LUA,
  NUMBER_OF_KEYS: 1,
  parseCommand(parser: CommandParser, key: string, spec: RateLimitSpec): void {
    parser.pushKey(key);
    // String() keeps full precision (shortest round-trip form, e.g. "1e-7"), which Lua's tonumber reads back.
    parser.push(String(spec.ratePerSecond), String(spec.burst));
  },
  transformReply: (reply: [number, number, number]): RateLimitOutcome => ({
    allowed: reply[0] === 1,
    remaining: reply[1],
    retryAfterMs: reply[2],
  }),
});
