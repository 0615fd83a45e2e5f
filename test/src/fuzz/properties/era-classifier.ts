import fc from "fast-check";
import { classifyInboundRequest } from "@modelcontextprotocol/server";
import { classifyRequest } from "@mcp-gateway/core";
import { anyText } from "../arbitraries";
import type { FuzzCase } from "../fuzz-case";

// The gateway's era wrapper (core/src/modern/classify.ts) over the SDK's own ladder: whatever a client sends, it
// never throws, and it never disagrees with the SDK's classifier about the era (legacy stays legacy, an SDK
// rejection stays a rejection; a modern request may still be refused by the later rungs the SDK's entry runs).

const VERSIONS = ["2026-07-28", "2025-11-25", "2025-06-18", "2099-01-01", "", " 2026-07-28 ", "garbage"];
const METHODS = ["tools/call", "tools/list", "prompts/get", "resources/read", "initialize", "ping", "server/discover"];

const version = fc.oneof(fc.constantFrom(...VERSIONS), anyText(12));
const method = fc.oneof(fc.constantFrom(...METHODS), anyText(12));
const nameHeader = fc.oneof(
  anyText(12),
  anyText(8).map((text) => `=?base64?${Buffer.from(text).toString("base64")}?=`),
  fc.constantFrom("=?base64?***?=", "=?base64??=", " echo\t"),
);

const envelope = fc.record(
  {
    "io.modelcontextprotocol/protocolVersion": fc.oneof(version, fc.integer(), fc.constant(null)),
    "io.modelcontextprotocol/clientCapabilities": fc.oneof(fc.constant({}), fc.constant({ sampling: {} }), anyText(4)),
    "io.modelcontextprotocol/clientInfo": fc.oneof(fc.constant({ name: "c", version: "1" }), fc.constant(7)),
  },
  { requiredKeys: [] },
);

const params = fc.record(
  {
    name: fc.oneof(anyText(12), fc.integer()),
    uri: anyText(12),
    arguments: fc.oneof(fc.constant({}), fc.dictionary(anyText(4), fc.jsonValue({ maxDepth: 2 }))),
    _meta: fc.oneof(envelope, fc.constant(null), anyText(4)),
  },
  { requiredKeys: [] },
);

const message = fc.oneof(
  fc.record(
    {
      jsonrpc: fc.oneof(fc.constant("2.0"), anyText(3)),
      id: fc.oneof(fc.integer(), anyText(6), fc.constant(null)),
      method,
      params: fc.oneof(params, fc.constant(undefined), fc.array(fc.integer(), { maxLength: 2 })),
    },
    { requiredKeys: ["method"] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(fc.record({ jsonrpc: fc.constant("2.0"), id: fc.integer(), method, params }), { maxLength: 2 }),
);

const headers = fc.record(
  {
    "mcp-protocol-version": version,
    "mcp-method": method,
    "mcp-name": nameHeader,
    "content-type": fc.constantFrom("application/json", "text/plain", "application/json; charset=utf-8"),
    accept: fc.constantFrom("application/json, text/event-stream", "application/json", "*/*"),
  },
  { requiredKeys: [] },
);

const httpMethod = fc.constantFrom("POST", "POST", "POST", "GET", "DELETE", "post");

/** The SDK's verdict on the same input, with the header spellings the wrapper passes (absent stays absent). */
function sdkKind(head: Record<string, string>, verb: string, body: unknown): string {
  return classifyInboundRequest({
    httpMethod: verb,
    ...(head["mcp-protocol-version"] !== undefined && { protocolVersionHeader: head["mcp-protocol-version"] }),
    ...(head["mcp-method"] !== undefined && { mcpMethodHeader: head["mcp-method"] }),
    ...(head["mcp-name"] !== undefined && { mcpNameHeader: head["mcp-name"] }),
    body,
  }).kind;
}

/** The era properties of the request classifier. */
export const fuzzCases: FuzzCase[] = [
  {
    name: "classifyRequest never throws and agrees with the SDK's classifier on the era",
    weight: 4,
    property: () =>
      fc.asyncProperty(headers, httpMethod, message, async (head, verb, body) => {
        const sdk = sdkKind(head, verb, body);
        const era = await classifyRequest(head, verb, body);
        if (sdk === "legacy") return era.era === "legacy";
        if (sdk === "reject") return era.era === "reject";
        if (era.era === "legacy") return false;
        // A rejection always carries an HTTP error status or an in-band JSON-RPC error, and a message.
        return era.era === "modern" || (era.error.message !== "" && era.error.httpStatus >= 200);
      }),
  },
  {
    name: "a rejection answers the request's own id when the body had a string or number id",
    weight: 4,
    property: () =>
      fc.asyncProperty(headers, message, async (head, body) => {
        const era = await classifyRequest(head, "POST", body);
        if (era.era !== "reject") return true;
        const id =
          body !== null && typeof body === "object" && !Array.isArray(body) ? (body as { id?: unknown }).id : null;
        return era.error.id === (typeof id === "string" || typeof id === "number" ? id : null);
      }),
  },
];
