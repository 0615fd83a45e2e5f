import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import {
  Catalog,
  GatewayError,
  JsonRpcErrorCode,
  parseJsonRpc,
  route,
  ROUTED_METHODS,
  type JsonRpcMessage,
  type ServerConfig,
} from "@mcp-gateway/core";
import { anyText, PROTOTYPE_NAMES, prototypeName } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";

// The JSON-RPC parser (core/src/jsonrpc) and the first routing step after it: whatever a client sends, the gateway
// either reads it exactly as JSON-RPC 2.0 says or answers a typed error (-32700/-32600, HTTP 400).

const weather: ServerConfig = { name: "weather", url: "http://127.0.0.1:1/mcp", prefix: "weather_", headers: {} };
const catalog = Catalog.build(
  [weather],
  new Map([["weather", { tools: [{ name: "get_forecast" }], prompts: [{ name: "report" }], resources: [] }]]),
);

const PARSE_CODES: ReadonlySet<number> = new Set([JsonRpcErrorCode.ParseError, JsonRpcErrorCode.InvalidRequest]);

/** Parses `body`: the message, or the typed parse error. Anything else thrown fails the property. */
function parsed(body: string | Uint8Array): JsonRpcMessage | GatewayError {
  try {
    return parseJsonRpc(body);
  } catch (error: unknown) {
    if (!(error instanceof GatewayError)) throw error;
    if (!PARSE_CODES.has(error.code) || error.httpStatus !== 400 || error.message === "")
      throw new Error(`unexpected parse error ${error.code}/${error.httpStatus}: ${error.message}`);
    return error;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/** JSON-RPC 2.0 (§4, §5) as MCP narrows it, written out apart from the parser: what `value` must be read as. */
function expectedKind(value: unknown): JsonRpcMessage["kind"] | "invalid" {
  if (!isObject(value) || value["jsonrpc"] !== "2.0") return "invalid";
  const has = (key: string): boolean => Object.hasOwn(value, key);
  const id = value["id"];
  const goodId = typeof id === "string" || (typeof id === "number" && Number.isFinite(id));
  if (has("method")) {
    const method = value["method"];
    const params = value["params"];
    if (typeof method !== "string" || method === "") return "invalid";
    if (has("params") && (params === null || typeof params !== "object")) return "invalid";
    if (!has("id")) return "notification";
    return goodId ? "request" : "invalid";
  }
  if (!has("result") && !has("error")) return "invalid";
  return goodId && has("result") !== has("error") ? "response" : "invalid";
}

/** The message's fields agree with its raw object, and parsing the raw object again gives the same message. */
function roundTrips(message: JsonRpcMessage, sent: unknown): boolean {
  if (!isDeepStrictEqual(message.raw, sent)) return false;
  if (message.kind !== "response" && message.method !== message.raw["method"]) return false;
  if (message.kind !== "notification" && message.id !== message.raw["id"]) return false;
  return isDeepStrictEqual(parseJsonRpc(JSON.stringify(message.raw)), message);
}

const method = fc.oneof(
  fc.constantFrom(...ROUTED_METHODS, "initialize", "tools/list", "ping", "notifications/initialized", ""),
  prototypeName(),
  anyText(),
  fc.integer(),
);
const id = fc.oneof(
  fc.integer(),
  anyText(8),
  fc.double(),
  fc.constant(null),
  fc.boolean(),
  fc.dictionary(fc.string(), fc.nat()),
);
const params = fc.oneof(
  fc.dictionary(fc.oneof(prototypeName(), anyText(6)), fc.jsonValue({ maxDepth: 2 })),
  fc.array(fc.jsonValue({ maxDepth: 1 })),
  fc.constant(null),
  anyText(),
  fc.integer(),
);
/** Objects shaped like JSON-RPC messages, every field optional and sometimes of the wrong type. */
const messageLike = fc.record(
  {
    jsonrpc: fc.oneof({ weight: 8, arbitrary: fc.constant("2.0") }, fc.constantFrom("1.0", "2", 2, null)),
    id,
    method,
    params,
    result: fc.jsonValue({ maxDepth: 2 }),
    error: fc.record({ code: fc.integer(), message: fc.string() }),
  },
  { requiredKeys: [] },
);

/** JSON text of `base` with `key` added as an own member, even when `key` is `__proto__`. */
function withMember(base: Record<string, unknown>, key: string, value: unknown): string {
  const inner = JSON.stringify(base).slice(1, -1);
  return `{${inner}${inner === "" ? "" : ","}${JSON.stringify(key)}:${JSON.stringify(value)}}`;
}

const bytesLike = fc.oneof(
  fc.uint8Array({ maxLength: 256 }),
  fc.string({ unit: "binary", maxLength: 128 }),
  fc.json().map((text) => Buffer.from(text)),
  // Valid JSON with one byte changed: almost-valid input is what finds parser edge cases.
  fc.tuple(fc.json({ maxDepth: 3 }), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([text, at, byte]) => {
    const bytes = Buffer.from(text);
    if (bytes.length > 0) bytes[at % bytes.length] = byte;
    return bytes;
  }),
);

const arbitraryBytes: FuzzCase = {
  name: "arbitrary bytes give a message or a typed -32700/-32600 error (HTTP 400), nothing else",
  property: () =>
    fc.property(bytesLike, (body) => {
      parsed(body);
    }),
};

const accepted: FuzzCase = {
  name: "a message is accepted exactly when JSON-RPC 2.0 says so, and an accepted one round-trips",
  property: () =>
    fc.property(messageLike, (value) => {
      const outcome = parsed(JSON.stringify(value));
      const sent = JSON.parse(JSON.stringify(value)) as unknown;
      const expected = expectedKind(sent);
      if (outcome instanceof GatewayError) return expected === "invalid";
      return outcome.kind === expected && roundTrips(outcome, sent);
    }),
};

// A named tool, prompt or resource that is a prototype property name, bare or behind the server's prefix.
const prototypeTarget = fc
  .tuple(prototypeName(), fc.constantFrom("", "weather_"))
  .map(([name, prefix]) => prefix + name);

const prototypeKeys: FuzzCase = {
  name: "Object.prototype names as methods, ids, target names and param keys never route and never crash",
  property: () =>
    fc.property(
      fc.oneof(fc.constantFrom(...ROUTED_METHODS), prototypeName()),
      fc.oneof(fc.integer(), prototypeName()),
      prototypeTarget,
      prototypeName(),
      (methodName, requestId, target, key) => {
        const base = { jsonrpc: "2.0", id: requestId, method: methodName };
        const named = { name: target, uri: target, ref: { type: "ref/prompt", name: target } };
        const body = withMember(base, "params", JSON.parse(withMember(named, key, { [key]: 1 })));
        const message = parsed(body);
        if (message instanceof GatewayError) return false;
        const decision = route(message, catalog, [weather]);
        if (PROTOTYPE_NAMES.includes(methodName)) return decision.kind === "broker";
        // An unknown resource read is "resource not found" (-32002, MCP 2025-11-25); every other unknown name -32602.
        const unknown =
          methodName === "resources/read" ? JsonRpcErrorCode.ResourceNotFound : JsonRpcErrorCode.InvalidParams;
        return decision.kind === "reject" && decision.error.code === unknown;
      },
    ),
};

const prototypeMembers: FuzzCase = {
  name: "a prototype-named member beside a message (even __proto__) changes neither its kind nor its fields",
  property: () =>
    fc.property(prototypeName(), fc.jsonValue({ maxDepth: 2 }), (key, value) => {
      const base = { jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "weather_get_forecast" } };
      const message = parsed(withMember(base, key, value));
      if (message instanceof GatewayError) return false;
      const decision = route(message, catalog, [weather]);
      return (
        message.kind === "request" &&
        message.id === 7 &&
        Object.getPrototypeOf(message.raw) === Object.prototype &&
        decision.kind === "upstream" &&
        decision.target.name === "get_forecast"
      );
    }),
};

/** `depth` levels of arrays or objects around `inner`, as JSON text. */
function nested(depth: number, kind: "array" | "object", inner: string): string {
  return kind === "array"
    ? "[".repeat(depth) + inner + "]".repeat(depth)
    : '{"a":'.repeat(depth) + inner + "}".repeat(depth);
}

const deepNesting: FuzzCase = {
  name: "arguments nested up to 10^5 deep are routed unchanged or refused with a typed 400 error, never a crash",
  property: () =>
    fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom("array", "object"), (depth, kind) => {
      const args = nested(depth, kind, "1");
      const body = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"weather_get_forecast","arguments":${args}}}`;
      try {
        const decision = route(parseJsonRpc(body), catalog, [weather]);
        if (decision.kind === "reject") return decision.error.httpStatus === 400;
        return (
          decision.kind === "upstream" &&
          decision.body.toString() === body.replace("weather_get_forecast", "get_forecast")
        );
      } catch (error: unknown) {
        // A depth cap may refuse it wherever it sits (parser or router), as long as it is a typed client error.
        if (error instanceof GatewayError) return error.httpStatus === 400;
        throw error;
      }
    }),
  weight: 20,
};

/** The JSON-RPC parser and what routing makes of its output. */
export const fuzzCases: FuzzCase[] = [arbitraryBytes, accepted, prototypeKeys, prototypeMembers, deepNesting];
