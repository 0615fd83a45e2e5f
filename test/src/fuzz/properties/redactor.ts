import fc from "fast-check";
import { JsonReplyRewriter, Redactor, SseIdRewriter, type ResultRedactor } from "@mcp-gateway/core";
import { anyText } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";
import { clientEvents, rewriteChunks, splitAt } from "../sse-client";

// The redactor (core/src/sanitize) alone and behind the reply rewriters: for random results with secrets planted at
// random places (under secret keys in any case, nested, in `key=value` text, in JSON inside text, JSON inside that),
// nothing a rule covers reaches the client, whether the reply is JSON or SSE cut into random chunks.

const KEYS = ["password", "api_key", "token"];
const PATTERNS = ["AKIA[0-9A-Z]{16}", "sk-[A-Za-z0-9]{24}"];
const rules = new Redactor([{ keys: KEYS, patterns: PATTERNS }]);
const call = { server: "weather", method: "tools/call", target: "weather_lookup" };

function redactorFor(): ResultRedactor {
  const redactor = rules.forCall(call);
  if (redactor === undefined) throw new Error("the rule must apply to the fuzzed call");
  return redactor;
}

/** A part of a result and the secrets planted in it. */
interface Planted {
  value: unknown;
  secrets: string[];
}

const chars = (alphabet: string, length: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: length, maxLength: length });
const UPPER_DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ALNUM = `${UPPER_DIGITS}abcdefghijklmnopqrstuvwxyz`;

/** Secrets a pattern matches, and values put under (or after) a secret key: unique enough to search for. */
const patternSecret = fc.oneof(
  chars(UPPER_DIGITS, 16).map((s) => `AKIA${s}`),
  chars(ALNUM, 24).map((s) => `sk-${s}`),
);
const keyedValue = chars(ALNUM, 12).map((s) => `kv${s}`);
const secretKey = fc.constantFrom(...KEYS).chain((key) => fc.mixedCase(fc.constant(key)));

// Plain text around secrets; ends in a separator so a `key=value` form after it starts a new word.
const filler = anyText(10).map((text) => `${text.replace(/[\w-]$/, "")} `);
const wordEnd = fc.constantFrom("", " ", "&", "\n", ",", ";");

/** A text holding secrets: a pattern match anywhere, and `key=value`, `key: value`, `"key": "value"` forms. */
const secretText: fc.Arbitrary<Planted> = fc.oneof(
  fc.tuple(filler, patternSecret, anyText(6)).map(([a, secret, b]) => ({ value: a + secret + b, secrets: [secret] })),
  fc
    .tuple(filler, secretKey, fc.constantFrom("=", ": ", " = ", ":"), keyedValue, wordEnd)
    .map(([a, key, sep, secret, end]) => ({ value: `${a}${key}${sep}${secret}${end}`, secrets: [secret] })),
  fc
    .tuple(filler, secretKey, keyedValue, fc.constantFrom('"', "'"))
    .map(([a, key, secret, q]) => ({ value: `${a}${q}${key}${q}: ${q}${secret}${q}`, secrets: [secret] })),
);

// Member names that are not secret keys and not the names with special meaning (binary payloads, resource URIs).
const plainKey = fc.constantFrom("note", "items", "value", "nested", "text", "meta", "x");

const tree: fc.Arbitrary<Planted> = fc.letrec<{ node: Planted }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.jsonValue({ maxDepth: 1 }).map((value) => ({ value, secrets: [] })),
    secretText,
    fc.tuple(secretKey, keyedValue).map(([key, secret]) => ({ value: { [key]: secret }, secrets: [secret] })),
    fc.tuple(secretKey, tie("node")).map(([key, inner]) => ({ value: { [key]: inner.value }, secrets: [] })),
    fc.array(fc.tuple(plainKey, tie("node")), { maxLength: 3 }).map((members) => ({
      value: Object.fromEntries(members.map(([key, inner]) => [key, inner.value])),
      secrets: dedupedSecrets(members),
    })),
    fc.array(tie("node"), { maxLength: 3 }).map((items) => ({
      value: items.map((item) => item.value),
      secrets: items.flatMap((item) => item.secrets),
    })),
    // JSON inside a text (compact or pretty), which may itself hold JSON inside text.
    fc.tuple(tie("node"), fc.constantFrom(undefined, 2, "\t")).map(([inner, indent]) => ({
      value: JSON.stringify({ payload: inner.value }, null, indent),
      secrets: inner.secrets,
    })),
  ),
})).node;

// Later members with the same key replace earlier ones in Object.fromEntries: only the survivors' secrets count.
function dedupedSecrets(members: readonly [string, Planted][]): string[] {
  const last = new Map(members.map(([key, inner]) => [key, inner]));
  return [...last.values()].flatMap((inner) => inner.secrets);
}

/**
 * A tools/call result with the planted tree as structured content and, as text, also serialized (a string as it is:
 * a JSON string literal is not "JSON inside text", and escaped `\"key\": \"value\"` forms are not documented).
 */
const result: fc.Arbitrary<Planted> = fc.tuple(tree, secretText).map(([planted, text]) => ({
  value: {
    content: [
      { type: "text", text: text.value },
      { type: "text", text: typeof planted.value === "string" ? planted.value : JSON.stringify(planted.value) },
    ],
    structuredContent: { data: planted.value },
  },
  secrets: [...planted.secrets, ...text.secrets],
}));

const leaked = (text: string, secrets: readonly string[]): string[] =>
  secrets.filter((secret) => text.includes(secret));

const redactsEverything: FuzzCase = {
  name: "no planted secret (key, pattern, key=value text, JSON in text) survives redaction of a result",
  property: () =>
    fc.property(result, ({ value, secrets }) => {
      const out = redactorFor().redact(value as Record<string, unknown>);
      return leaked(JSON.stringify(out), secrets).length === 0;
    }),
};

const memberNames: FuzzCase = {
  name: "a pattern match used as a member name does not reach the client either",
  property: () =>
    fc.property(patternSecret, plainKey, fc.jsonValue({ maxDepth: 1 }), (secret, key, inner) => {
      const value = { structuredContent: { [key]: { [secret]: inner } } };
      return leaked(JSON.stringify(redactorFor().redact(value)), [secret]).length === 0;
    }),
};

/** What the client can read of a reply: the JSON body, or each SSE event's data as the SDK parses the stream. */
function clientText(bytes: Buffer, sse: boolean): string {
  return sse
    ? clientEvents(bytes)
        .map((event) => event.data)
        .join("\n")
    : bytes.toString("utf8");
}

const lineEnds = fc.constantFrom("\n\n", "\r\n\r\n", "\r\r", "\n\r\n", "\r\n\n");

const replies: FuzzCase = {
  name: "through the JSON and SSE reply rewriters, cut into random chunks, no planted secret reaches the client",
  property: () =>
    fc.property(
      fc.array(result, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      fc.array(lineEnds, { minLength: 3, maxLength: 3 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.boolean(),
      (results, sse, ends, cuts, bom) => {
        const messages = results.map((r, i) => JSON.stringify({ jsonrpc: "2.0", id: i, result: r.value }));
        const body = sse
          ? messages
              .map((m, i) => `${i % 2 === 0 ? "" : "event: message\n"}data: ${m}${ends[i % ends.length] ?? "\n\n"}`)
              .join("")
          : (messages[0] ?? "");
        const secrets = (sse ? results : results.slice(0, 1)).flatMap((r) => r.secrets);
        const redaction = { redactor: redactorFor(), requestId: 0 };
        const origin = { name: "weather", prefix: "weather_" };
        const rewriter = sse ? new SseIdRewriter(origin, redaction) : new JsonReplyRewriter(origin, redaction);
        // A UTF-8 BOM before an SSE stream is dropped by the client's decoder, so the events after it still count.
        const output = rewriteChunks(rewriter, splitAt(Buffer.from((sse && bom ? "\ufeff" : "") + body), cuts));
        return leaked(clientText(output, sse), secrets).length === 0;
      },
    ),
  weight: 2,
};

/** The redactor on its own and behind the reply rewriters. */
export const fuzzCases: FuzzCase[] = [redactsEverything, memberNames, replies];
