import { createHash } from "node:crypto";
import type { Attributes } from "@opentelemetry/api";
import type { ResultRedactor } from "../sanitize";

/**
 * Attribute names of the OpenTelemetry semantic conventions for MCP
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/mcp/), and the gateway's own under `mcp_gateway.`.
 */
export const ATTR = {
  method: "mcp.method.name",
  toolName: "gen_ai.tool.name",
  promptName: "gen_ai.prompt.name",
  operationName: "gen_ai.operation.name",
  requestId: "jsonrpc.request.id",
  resourceUri: "mcp.resource.uri",
  protocolVersion: "mcp.protocol.version",
  sessionId: "mcp.session.id",
  errorType: "error.type",
  rpcStatus: "rpc.response.status_code",
  transport: "network.transport",
  protocolName: "network.protocol.name",
  serverAddress: "server.address",
  serverPort: "server.port",
  toolArguments: "gen_ai.tool.call.arguments",
  toolResult: "gen_ai.tool.call.result",
  consumer: "mcp_gateway.consumer",
  server: "mcp_gateway.server",
  decision: "mcp_gateway.decision",
  refusalReason: "mcp_gateway.refusal_reason",
  httpStatus: "http.response.status_code",
  httpMethod: "http.request.method",
  httpRoute: "http.route",
} as const;

/** What a span needs to know of one JSON-RPC message (all client-chosen; strings capped). */
export interface McpMessageFacts {
  method?: string | undefined;
  id?: string | undefined;
  toolName?: string | undefined;
  promptName?: string | undefined;
  uri?: string | undefined;
  args?: unknown;
}

const CAP = 256;
const capped = (value: string): string => (value.length > CAP ? value.slice(0, CAP) : value);
const str = (value: unknown): string | undefined => (typeof value === "string" ? capped(value) : undefined);

/** The facts of a parsed JSON-RPC message (anything else gives none). Never throws. */
export function messageFacts(message: unknown): McpMessageFacts {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return {};
  const record = message as Record<string, unknown>;
  const method = str(record["method"]);
  const rawId = record["id"];
  const id = typeof rawId === "string" || typeof rawId === "number" ? capped(String(rawId)) : undefined;
  const params = record["params"];
  const p =
    typeof params === "object" && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
  return {
    method,
    id,
    toolName: method === "tools/call" ? str(p["name"]) : undefined,
    promptName: method === "prompts/get" ? str(p["name"]) : undefined,
    uri: str(p["uri"]),
    args: method === "tools/call" ? p["arguments"] : undefined,
  };
}

/** `{mcp.method.name} {target}` (tool or prompt name) per the MCP semantic conventions; `mcp` for no method. */
export function spanNameOf(facts: McpMessageFacts): string {
  const method = facts.method ?? "mcp";
  const target = facts.toolName ?? facts.promptName;
  return target === undefined ? method : `${method} ${target}`;
}

/** A session id as spans carry it: the first 16 hex digits of its SHA-256 (correlates, never reveals). */
export function hashedSessionId(sessionId: string): string {
  return createHash("sha256").update(sessionId).digest("hex").slice(0, 16);
}

/**
 * What content capture does with a tools/call's arguments: nothing (`false`), or record them through `redactor` (the
 * `sanitize` rules; undefined when none replaces anything).
 */
export type ArgumentCapture = false | { redactor: ResultRedactor | undefined };

/** Semantic-convention attributes of a request span (arguments only with `captureContent`, redacted). */
export function requestAttributes(
  facts: McpMessageFacts,
  headers: Readonly<Record<string, string | undefined>>,
  capture: ArgumentCapture,
): Attributes {
  const attributes: Attributes = {
    [ATTR.method]: facts.method ?? "unknown",
    [ATTR.transport]: "tcp",
    [ATTR.protocolName]: "http",
  };
  if (facts.id !== undefined) attributes[ATTR.requestId] = facts.id;
  if (facts.toolName !== undefined) {
    attributes[ATTR.toolName] = facts.toolName;
    attributes[ATTR.operationName] = "execute_tool";
  }
  if (facts.promptName !== undefined) attributes[ATTR.promptName] = facts.promptName;
  if (facts.uri !== undefined) attributes[ATTR.resourceUri] = facts.uri;
  const version = headers["mcp-protocol-version"];
  if (version !== undefined) attributes[ATTR.protocolVersion] = capped(version);
  const session = headers["mcp-session-id"];
  if (session !== undefined && session !== "") attributes[ATTR.sessionId] = hashedSessionId(session);
  if (capture && facts.args !== undefined) {
    const args = redactedJson(facts.args, capture.redactor, ARGUMENTS_CAP);
    if (args !== undefined) attributes[ATTR.toolArguments] = args;
  }
  return attributes;
}

/**
 * Attributes of the SERVER span of a `GET` (notification stream) or `DELETE` (session end) of `/mcp`: no JSON-RPC
 * message, so HTTP's conventions (`http.request.method`, `http.route`) plus the session and protocol version.
 */
export function streamAttributes(
  httpMethod: string,
  headers: Readonly<Record<string, string | undefined>>,
): Attributes {
  const attributes = requestAttributes({}, headers, false);
  delete attributes[ATTR.method];
  attributes[ATTR.httpMethod] = httpMethod;
  attributes[ATTR.httpRoute] = "/mcp";
  return attributes;
}

/** How much of a tool call's arguments a span records (characters of their JSON). */
export const ARGUMENTS_CAP = 4096;
/** How much of a tool call's result a span records (characters of its JSON). */
export const RESULT_CAP = 8192;

/**
 * `value` as {@link cappedJson} records it after `redactor` (the walk `sanitize` applies to a result: keys, patterns,
 * JSON inside strings); undefined when it cannot be redacted (too deep), so nothing unredacted is recorded.
 */
export function redactedJson(value: unknown, redactor: ResultRedactor | undefined, max: number): string | undefined {
  if (redactor === undefined) return cappedJson(value, max);
  try {
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      return cappedJson(redactor.redact(value as Record<string, unknown>), max);
    // The redactor walks objects: anything else rides in one under the empty name, which no pattern matches.
    return cappedJson(redactor.redact({ "": value })[""], max);
  } catch {
    return undefined;
  }
}

/** `value` as JSON, cut to `max` characters with a trailing `…` when longer. */
export function cappedJson(value: unknown, max: number): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
