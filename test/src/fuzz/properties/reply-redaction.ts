import fc from "fast-check";
import { Redactor, replyRewriter, type ResultRedactor, type RewrittenCall } from "@mcp-gateway/core";
import { sdkClientReads, type SdkReading } from "../../support/sdk-reply-reader";
import type { FuzzCase } from "../fuzz-case";

/** The secret the redaction rule hides; generated replies carry it (sometimes JSON-escaped) in their results. */
export const SECRET = "AKIAIOSFODNN7EXAMPLE";

const redactor = new Redactor([{ keys: ["password"], patterns: ["AKIA[0-9A-Z]{16}"] }]).forCall({
  server: "plain",
  method: "tools/call",
  target: "lookup",
}) as ResultRedactor;

/** The routed call every generated reply answers: a sanitized tools/call with id 7. */
export const SANITIZED_CALL: RewrittenCall = {
  server: { name: "plain", prefix: "" },
  method: "tools/call",
  requestId: 7,
  redactor,
};

/** One generated upstream reply and how it is cut into chunks on each side of the gateway. */
export interface GeneratedReply {
  contentTypes: string[];
  body: Buffer;
  /** Offsets (fractions of the length) where the upstream's body is split before the gateway reads it. */
  upstreamCuts: number[];
  /** Offsets (fractions) where the gateway's output is split before the client reads it. */
  clientCuts: number[];
}

const caseVariant = (text: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
    .map((upper) => [...text].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

// JSON and SSE most of the time (so replies get through to be checked), look-alikes the rest.
const ESSENCES = [
  ...Array<string>(6).fill("application/json"),
  ...Array<string>(6).fill("text/event-stream"),
  "application/json-seq",
  "text/plain",
  "text/event-streamx",
];
const PARAMS = [
  "charset=utf-8",
  "charset=UTF-8",
  'profile="text/event-stream"',
  "a=application/json",
  'x="a;b, text/event-stream"',
  "",
  "charset=",
  "q=a b",
];

const mediaType: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...ESSENCES).chain(caseVariant),
    fc.constantFrom("", " ", "\t", "  "),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant([]) },
      fc.array(fc.tuple(fc.constantFrom(";", "; ", " ;"), fc.constantFrom(...PARAMS)), { maxLength: 2 }),
    ),
    fc.constantFrom("", " "),
  )
  .map(([essence, lead, params, trail]) => lead + essence + params.map(([sep, p]) => sep + p).join("") + trail);

/** Content-Type header lines: usually one, sometimes none or a duplicate. */
export const contentTypes: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 16, arbitrary: mediaType.map((t) => [t]) },
  { weight: 1, arbitrary: fc.constant<string[]>([]) },
  { weight: 1, arbitrary: fc.array(mediaType, { minLength: 2, maxLength: 2 }) },
);

// A JSON-RPC response whose result carries the secret, written in the many ways JSON allows.
const messageWith = (duplicates: readonly string[]): fc.Arbitrary<string> =>
  fc
    .record({
      escaped: fc.boolean(),
      resultKey: fc.constantFrom('"result"', '"\\u0072esult"'),
      duplicate: fc.constantFrom(...duplicates),
      spaced: fc.boolean(),
    })
    .map(({ escaped, resultKey, duplicate, spaced }) => {
      const secret = escaped ? `\\u0041${SECRET.slice(1)}` : SECRET;
      const result = `{"content":[{"type":"text","text":"key ${secret}"}]}`;
      const clean = '"result":{"content":[]}';
      const members = [
        '"jsonrpc":"2.0"',
        '"id":7',
        ...(duplicate === "before" ? [clean] : []),
        `${resultKey}:${result}`,
        ...(duplicate === "after" ? [clean] : []),
      ];
      return `{${members.join(spaced ? ", " : ",")}}`;
    });
const resultMessage = messageWith(["none", "before", "after"]);

const BOMS = ["", "", "\ufeff", "\ufeff\ufeff", "\u00ef\u00bb\u00bf"];
const jsonBody: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...BOMS), fc.array(resultMessage, { minLength: 1, maxLength: 2 }), fc.boolean())
  .map(([bom, messages, batch]) => bom + (batch ? `[${messages.join(",")}]` : (messages[0] ?? "")));

const EOL = fc.constantFrom("\n", "\r", "\r\n");
const OTHER_LINES = [
  "id: 1",
  "id:",
  "event: message",
  "event: other",
  "event:",
  ": comment",
  "retry: 10",
  "x: y",
  "data",
];

// An SSE field line: data of (a piece of) a message, or any other field.
const sseEvent: fc.Arbitrary<string[]> = fc
  .tuple(
    resultMessage,
    fc.array(fc.nat(), { maxLength: 2 }),
    fc.constantFrom("data:", "data: "),
    fc.array(fc.constantFrom(...OTHER_LINES), { maxLength: 2 }),
  )
  .map(([message, cuts, prefix, others]) => {
    // Mostly between members (a line break there is JSON whitespace, so the joined data still parses), else anywhere.
    const members = [...message.matchAll(/,(?=")/g)].map((m) => m.index + 1);
    const at = [
      ...new Set(cuts.map((c) => (c % 4 === 0 ? c % (message.length + 1) : (members[c % members.length] ?? 0)))),
    ].sort((a, b) => a - b);
    const pieces = [0, ...at].map((start, i) => message.slice(start, at[i] ?? message.length));
    return [...others, ...pieces.map((piece) => prefix + piece)];
  });

const sseBody: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...BOMS),
    fc.array(fc.tuple(sseEvent, fc.array(EOL, { minLength: 8, maxLength: 8 }), EOL, fc.boolean()), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([bom, events]) => {
    const text = events.map(([lines, eols, blank, separated]) => {
      const body = lines.map((line, i) => line + (eols[i % eols.length] ?? "\n")).join("");
      return separated ? body + blank : body;
    });
    return bom + text.join("");
  });

// A result smuggled inside another message's non-result member, cut into events at the member's edges: a reader that
// misses a boundary joins the events into one valid message whose result is clean, while the client reads the
// middle event as a result of its own.
const smuggledSse: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...BOMS),
    resultMessage,
    fc.array(fc.tuple(EOL, EOL), { minLength: 3, maxLength: 3 }),
    fc.constantFrom("data:", "data: "),
  )
  .map(([bom, message, separators, prefix]) => {
    const pieces = ['{"jsonrpc":"2.0","id":7,"result":{"content":[]},"x":', message, "}"];
    return bom + pieces.map((piece, i) => prefix + piece + (separators[i] ?? ["\n", "\n"]).join("")).join("");
  });

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 });

/** Upstream replies: any media type (case, parameters, whitespace, duplicates) over a JSON or SSE body. */
export const generatedReply: fc.Arbitrary<GeneratedReply> = contentTypes.chain((types) => {
  // The body mostly matches what the header seems to say (so replies get through to be checked), else anything.
  const seemsSse = types.some((type) => type.toLowerCase().includes("event-stream"));
  const body = fc.oneof(
    { weight: 3, arbitrary: seemsSse ? fc.oneof(sseBody, smuggledSse) : jsonBody },
    { weight: 1, arbitrary: fc.oneof(jsonBody, sseBody, smuggledSse) },
  );
  return fc
    .record({ body, upstreamCuts: cuts, clientCuts: cuts })
    .map((reply) => ({ ...reply, contentTypes: types, body: Buffer.from(reply.body) }));
});

/** Splits bytes at the given fractions of their length (duplicates and the ends give empty or no pieces). */
export function split(bytes: Buffer, fractions: readonly number[]): Buffer[] {
  const offsets = fractions.map((f) => Math.floor(f * bytes.length)).sort((a, b) => a - b);
  return [0, ...offsets].map((start, i) => bytes.subarray(start, offsets[i] ?? bytes.length));
}

/** The gateway's answer to an upstream reply: what it sends on (content-type lines and body), chunk by chunk. */
export function throughGateway(
  contentTypes: readonly string[],
  chunks: readonly Buffer[],
  call: RewrittenCall = SANITIZED_CALL,
): { contentTypes: string[]; body: Buffer } {
  const head = contentTypes.length > 0 ? { "content-type": contentTypes.join(", ") } : {};
  const rewriter = replyRewriter(head, call);
  if (rewriter === undefined) return { contentTypes: [...contentTypes], body: Buffer.concat(chunks) };
  const body = Buffer.concat([...chunks.map((chunk) => rewriter.push(chunk)), rewriter.end()]);
  return { contentTypes: rewriter.contentType === undefined ? [...contentTypes] : [rewriter.contentType], body };
}

/** The results (never notifications or errors, which redaction does not cover) the client accepted. */
export function acceptedResults(reading: SdkReading): string[] {
  return reading.messages.flatMap((message) => ("result" in message ? [JSON.stringify(message.result)] : []));
}

/** Runs one generated reply through the gateway and then the real SDK client; returns the client's reading. */
export async function gatewayThenClient(reply: GeneratedReply): Promise<SdkReading> {
  const out = throughGateway(reply.contentTypes, split(reply.body, reply.upstreamCuts));
  return sdkClientReads({ contentTypes: out.contentTypes, chunks: split(out.body, reply.clientCuts) });
}

const canonicalReply: fc.Arbitrary<GeneratedReply> = fc
  .record({
    kind: fc.constantFrom("application/json", "text/event-stream"),
    message: messageWith(["none"]),
    upstreamCuts: cuts,
    clientCuts: cuts,
  })
  .map(({ kind, message, upstreamCuts, clientCuts }) => ({
    contentTypes: [kind],
    body: Buffer.from(kind === "application/json" ? message : `data: ${message}\n\n`),
    upstreamCuts,
    clientCuts,
  }));

const SECRET_REPLY = `{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"key ${SECRET}"}]}}`;
const smuggle = (separator: string): string =>
  ['{"jsonrpc":"2.0","id":7,"result":{"content":[]},"x":', SECRET_REPLY, "}"]
    .map((piece) => `data: ${piece}${separator}`)
    .join("");

/**
 * The replies that once carried a secret past redaction to an MCP SDK 1.32.2 client (issue 9, hole 3), as an
 * upstream sends them: content-type and body. A result smuggled in another message's member (d, e) needs the
 * event boundaries the gateway used to miss.
 */
export const REPLY_BYPASSES: readonly { name: string; contentType: string; body: string }[] = [
  { name: "(a) Application/JSON", contentType: "Application/JSON", body: SECRET_REPLY },
  {
    name: "(b) JSON with an event-stream profile parameter",
    contentType: 'application/json; profile="text/event-stream"',
    body: SECRET_REPLY,
  },
  { name: "(c) SSE after a UTF-8 BOM", contentType: "text/event-stream", body: `\ufeffdata: ${SECRET_REPLY}\n\n` },
  { name: "(d) SSE events ended by LF CR", contentType: "text/event-stream", body: smuggle("\n\r") },
  { name: "(e) SSE events ended by CR LF CR", contentType: "text/event-stream", body: smuggle("\r\n\r") },
];

/** The differential properties: the gateway's reply rewriter against the real MCP SDK client. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "every result the SDK client accepts from a sanitized reply has passed through redaction",
    weight: 4,
    property: () =>
      fc.asyncProperty(generatedReply, async (reply) => {
        for (const result of acceptedResults(await gatewayThenClient(reply))) {
          if (result.includes(SECRET)) throw new Error(`secret reached the client: ${result}`);
        }
      }),
  },
  {
    name: "a well-formed sanitized reply still reaches the SDK client, redacted",
    weight: 4,
    property: () =>
      fc.asyncProperty(canonicalReply, async (reply) => {
        const results = acceptedResults(await gatewayThenClient(reply));
        if (results.length !== 1 || !results[0]?.includes("[REDACTED]")) {
          throw new Error(`expected one redacted result, got ${JSON.stringify(results)}`);
        }
      }),
  },
];
