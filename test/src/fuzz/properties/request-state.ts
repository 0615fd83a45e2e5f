import fc from "fast-check";
import { RequestStateCodec, type RequestStateClaims } from "@mcp-gateway/core";
import type { FuzzCase } from "../fuzz-case";

// The sealed MRTR requestState (core/src/modern/request-state.ts): what it seals opens again unchanged for the same
// request; anything else (one flipped bit, another consumer, another request, past its expiry, another secret) is
// refused, and with the reason the bridge names to the client.

const SECRET = "a-request-state-secret-of-at-least-32-characters";
const OTHER_SECRET = "another-secret-of-at-least-32-characters-long";
const START = 1_800_000_000_000;

const claims = fc.record({
  consumer: fc.string({ maxLength: 40 }),
  server: fc.string({ minLength: 1, maxLength: 20 }),
  held: fc.base64String({ minLength: 4, maxLength: 24 }),
  method: fc.constantFrom("tools/call", "prompts/get", "resources/read"),
  target: fc.string({ maxLength: 60 }),
  params: fc.base64String({ minLength: 4, maxLength: 24 }),
  round: fc.integer({ min: 1, max: 1_000_000 }),
});
const ttl = fc.integer({ min: 1, max: 3_600_000 });

type Unsealed = Omit<RequestStateClaims, "expiresAtMs">;

function codecAt(now: { value: number }, secret = SECRET): RequestStateCodec {
  return new RequestStateCodec(secret, () => now.value);
}

const binding = (c: Unsealed) => ({
  consumer: c.consumer,
  server: c.server,
  method: c.method,
  target: c.target,
  params: c.params,
});

/** Every case of the request-state properties. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "a sealed state opens to the same claims for the same consumer and request before it expires",
    property: () =>
      fc.property(claims, ttl, fc.nat(), (c, ttlMs, elapsed) => {
        const now = { value: START };
        const codec = codecAt(now);
        const token = codec.seal(c, ttlMs);
        now.value += elapsed % ttlMs;
        const opened = codec.open(token, binding(c));
        return opened.ok && JSON.stringify(opened.claims) === JSON.stringify({ ...c, expiresAtMs: START + ttlMs });
      }),
  },
  {
    name: "flipping any one bit of a sealed state's bytes makes it fail",
    property: () =>
      fc.property(claims, fc.nat(), fc.integer({ min: 0, max: 7 }), (c, at, bit) => {
        const codec = codecAt({ value: START });
        const token = codec.seal(c, 60_000);
        const bytes = Buffer.from(token.slice("rs1.".length), "base64url");
        const index = at % bytes.length;
        bytes[index] = (bytes[index] ?? 0) ^ (1 << bit);
        const opened = codec.open(`rs1.${bytes.toString("base64url")}`, binding(c));
        return !opened.ok && opened.reason === "tampered";
      }),
  },
  {
    name: "changing, dropping or adding any character of a sealed state makes it fail",
    property: () =>
      fc.property(
        claims,
        fc.nat(),
        fc.constantFrom("replace", "drop", "add"),
        fc.string({ minLength: 1, maxLength: 1 }),
        (c, at, edit, ch) => {
          const codec = codecAt({ value: START });
          const token = codec.seal(c, 60_000);
          const index = at % token.length;
          const edited =
            edit === "drop"
              ? token.slice(0, index) + token.slice(index + 1)
              : token.slice(0, index) + ch + token.slice(edit === "replace" ? index + 1 : index);
          fc.pre(edited !== token);
          return !codec.open(edited, binding(c)).ok;
        },
      ),
  },
  {
    name: "a state presented by another consumer is refused as another consumer's",
    property: () =>
      fc.property(claims, fc.string({ maxLength: 40 }), (c, other) => {
        fc.pre(other !== c.consumer);
        const codec = codecAt({ value: START });
        const opened = codec.open(codec.seal(c, 60_000), { ...binding(c), consumer: other });
        return !opened.ok && opened.reason === "other-consumer";
      }),
  },
  {
    name: "a state presented on another request (server, method, target or params) is refused",
    property: () =>
      fc.property(
        claims,
        fc.constantFrom("server", "method", "target", "params"),
        fc.string({ maxLength: 30 }),
        (c, field, value) => {
          const expected = binding(c);
          fc.pre(expected[field as keyof typeof expected] !== value);
          const codec = codecAt({ value: START });
          const opened = codec.open(codec.seal(c, 60_000), { ...expected, [field]: value });
          return !opened.ok && opened.reason === "other-request";
        },
      ),
  },
  {
    name: "a state is refused once its time to live has passed",
    property: () =>
      fc.property(claims, ttl, fc.nat({ max: 10_000_000 }), (c, ttlMs, late) => {
        const now = { value: START };
        const codec = codecAt(now);
        const token = codec.seal(c, ttlMs);
        now.value += ttlMs + late;
        const opened = codec.open(token, binding(c));
        return !opened.ok && opened.reason === "expired";
      }),
  },
  {
    name: "a state sealed under another secret never opens",
    property: () =>
      fc.property(claims, (c) => {
        const now = { value: START };
        const opened = codecAt(now).open(codecAt(now, OTHER_SECRET).seal(c, 60_000), binding(c));
        return !opened.ok && opened.reason === "tampered";
      }),
  },
];
