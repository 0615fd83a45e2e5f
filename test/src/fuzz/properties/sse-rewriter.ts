import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import type { EventSourceMessage } from "eventsource-parser";
import { SseIdRewriter, type StreamOrigin } from "@mcp-gateway/core";
import { anyText } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";
import { clientEvents, rewriteChunks, splitAt } from "../sse-client";

// The SSE rewriter (core/src/routing/sse-id-rewriter.ts) on random upstream streams cut into random chunks: the
// events the client reads from its output are the events the client would read from the upstream's bytes, each
// changed only as intended (server-to-client request ids and cancelled requestIds namespaced, resource URIs
// prefixed, upstream list_changed dropped); none lost, merged or split. The client is the SDK's own SSE parser.

type Json = Record<string, unknown>;

const DROPPED = new Set([
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
]);

const isJson = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);
const isId = (value: unknown): value is string | number => typeof value === "string" || typeof value === "number";

/** The documented id the client sees for request `id` of upstream `server` (server-request-ids.ts). */
const namespaced = (server: string, id: string | number): string => `mcpgw:${server}:${JSON.stringify(id)}`;

/** What goes before a resource URI for each tool prefix generated below (docs/resource-uris.md). */
const URI_PREFIX: ReadonlyMap<string, string> = new Map([
  ["weather_", "weather+"],
  ["", ""],
]);

/** The reference rewrite of one message: what the client must get, or null when the event must go. */
function expectedMessage(message: Json, origin: StreamOrigin): Json | null {
  const { method, id, params } = message;
  const uriPrefix = URI_PREFIX.get(origin.prefix) ?? `<no URI prefix for ${origin.prefix}>`;
  if (typeof method !== "string") {
    const result = message["result"];
    if (origin.prefix === "" || !isJson(result) || !Array.isArray(result["content"])) return message;
    const content = result["content"].map((block: unknown) =>
      isJson(block) && block["type"] === "resource_link" && typeof block["uri"] === "string"
        ? { ...block, uri: uriPrefix + block["uri"] }
        : block,
    );
    return { ...message, result: { ...result, content } };
  }
  if (isId(id)) return { ...message, id: namespaced(origin.name, id) };
  if (DROPPED.has(method)) return null;
  if (!isJson(params)) return message;
  if (method === "notifications/resources/updated" && typeof params["uri"] === "string")
    return { ...message, params: { ...params, uri: uriPrefix + params["uri"] } };
  if (method === "notifications/cancelled" && isId(params["requestId"]))
    return { ...message, params: { ...params, requestId: namespaced(origin.name, params["requestId"]) } };
  return message;
}

/** What the client must read for an event the client reads from the upstream: the data as JSON or as text. */
type Expected = { event: EventSourceMessage; json?: Json };

function expectedEvents(events: readonly EventSourceMessage[], origin: StreamOrigin): Expected[] {
  return events.flatMap((event): Expected[] => {
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch {
      return [{ event }];
    }
    if (!isJson(message)) return [{ event }];
    const rewritten = expectedMessage(message, origin);
    return rewritten === null ? [] : [{ event, json: rewritten }];
  });
}

function sameEvent(actual: EventSourceMessage | undefined, expected: Expected): boolean {
  if (actual === undefined || actual.event !== expected.event.event || actual.id !== expected.event.id) return false;
  if (expected.json === undefined) return actual.data === expected.event.data;
  try {
    return isDeepStrictEqual(JSON.parse(actual.data), expected.json);
  } catch {
    return false;
  }
}

const jsonId = fc.oneof(fc.integer({ min: -5, max: 1000 }), anyText(6));
const textBlock = anyText(16).map((text) => ({ type: "text", text }));
const linkBlock = fc
  .string({ maxLength: 8 })
  .map((path) => ({ type: "resource_link", uri: `file:///${path}`, name: "f" }));
/** A JSON-RPC message an upstream sends on a call's stream: requests, notifications, results, errors. */
const message: fc.Arbitrary<Json> = fc.oneof(
  fc.record({
    jsonrpc: fc.constant("2.0"),
    id: jsonId,
    method: fc.constantFrom("sampling/createMessage", "elicitation/create", "roots/list", "ping"),
    params: fc.dictionary(anyText(4), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    method: fc.constantFrom(...DROPPED, "notifications/progress", "notifications/message"),
    params: fc.record({ progressToken: jsonId, progress: fc.nat() }),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    method: fc.constant("notifications/resources/updated"),
    params: fc.record({ uri: anyText(10) }),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    method: fc.constant("notifications/cancelled"),
    params: fc.record({ requestId: jsonId, reason: anyText(6) }, { requiredKeys: ["requestId"] }),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    id: jsonId,
    result: fc.record({ content: fc.array(fc.oneof(textBlock, linkBlock), { maxLength: 3 }) }),
  }),
  fc.record({
    jsonrpc: fc.constant("2.0"),
    id: jsonId,
    error: fc.record({ code: fc.integer(), message: anyText(8) }),
  }),
);

/** The data of one event: a message (compact or pretty, so on one or many data lines) or plain text. */
const data = fc.oneof(
  { weight: 6, arbitrary: message.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: message.map((m) => JSON.stringify(m, null, 2)) },
  { weight: 1, arbitrary: anyText(12) },
);
const lineEnd = fc.constantFrom("\n", "\r\n", "\r");
/** A line other than data: the SSE id and event fields, retry, a comment, an unknown field, a bare `data`. */
const otherLine = fc.oneof(
  anyText(6).map((id) => `id: ${id.replace(/[\r\n\0]/g, "")}`),
  fc.constantFrom("event: message", "event:message", "retry: 1000", ": keep-alive", ":", "foo: bar", "data"),
);

/** One event as upstream bytes: other lines and data lines, each with its own line end, then a blank line. */
const event = fc
  .record({
    before: fc.array(otherLine, { maxLength: 2 }),
    data,
    space: fc.boolean(),
    ends: fc.array(lineEnd, { minLength: 8, maxLength: 8 }),
  })
  .map(({ before, data: text, space, ends }) => {
    const lines = [...before, ...text.split(/\r\n|\r|\n/).map((line) => `data:${space ? " " : ""}${line}`)];
    const end = (i: number): string => ends[i % ends.length] ?? "\n";
    return lines.map((line, i) => line + end(i)).join("") + end(lines.length);
  });

/** A stream: events, maybe a leading BOM, and the cut points the network splits it at. */
const stream = fc.record({
  bom: fc.boolean(),
  events: fc.array(event, { minLength: 1, maxLength: 6 }),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
  prefix: fc.constantFrom("weather_", ""),
});

const eventsPreserved: FuzzCase = {
  name: "events read by the client are the upstream's, in order, rewritten only as intended, for any chunking",
  property: () =>
    fc.property(stream, ({ bom, events, cuts, prefix }) => {
      const origin = { name: "weather", prefix };
      const upstream = Buffer.from((bom ? "\ufeff" : "") + events.join(""));
      const output = rewriteChunks(new SseIdRewriter(origin), splitAt(upstream, cuts));
      const expected = expectedEvents(clientEvents(upstream), origin);
      const actual = clientEvents(output);
      return actual.length === expected.length && expected.every((e, i) => sameEvent(actual[i], e));
    }),
};

const chunkingInvariant: FuzzCase = {
  name: "the rewriter's output bytes do not depend on where the upstream's stream is split",
  property: () =>
    fc.property(stream, ({ bom, events, cuts, prefix }) => {
      const origin = { name: "weather", prefix };
      const upstream = Buffer.from((bom ? "\ufeff" : "") + events.join(""));
      const whole = rewriteChunks(new SseIdRewriter(origin), [upstream]);
      const bytewise = rewriteChunks(new SseIdRewriter(origin), splitAt(upstream, cuts));
      return whole.equals(bytewise);
    }),
};

/** The SSE rewriter against the SDK client's SSE parser. */
export const fuzzCases: FuzzCase[] = [eventsPreserved, chunkingInvariant];
