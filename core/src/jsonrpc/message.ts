import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../errors";
import { DEFAULT_MAX_JSON_DEPTH, exceedsJsonDepth } from "./json-depth";

/** JSON-RPC params: an object or an array (JSON-RPC 2.0 §4.2). */
export type JsonRpcParams = Record<string, unknown> | unknown[];

/** A request: has a method and a non-null id (MCP forbids null ids). */
export interface JsonRpcRequest {
  kind: "request";
  id: string | number;
  method: string;
  params: JsonRpcParams | undefined;
  /** The parsed JSON object, for rewriting; never mutated by the parser. */
  raw: Record<string, unknown>;
}

/** A notification: a method and no id. */
export interface JsonRpcNotification {
  kind: "notification";
  method: string;
  params: JsonRpcParams | undefined;
  raw: Record<string, unknown>;
}

/** A response from the client to a server-initiated request: an id and exactly one of result/error. */
export interface JsonRpcResponse {
  kind: "response";
  id: string | number;
  raw: Record<string, unknown>;
}

/** Any single JSON-RPC 2.0 message. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

const has = (object: Record<string, unknown>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(object, key);

function readId(object: Record<string, unknown>): JsonRpcId {
  const id = object["id"];
  return typeof id === "string" || (typeof id === "number" && Number.isFinite(id)) ? id : null;
}

function invalid(message: string, id: JsonRpcId = null): GatewayError {
  return new GatewayError(JsonRpcErrorCode.InvalidRequest, `invalid JSON-RPC request: ${message}`, {
    httpStatus: 400,
    id,
  });
}

function readParams(object: Record<string, unknown>, id: JsonRpcId): JsonRpcParams | undefined {
  if (!has(object, "params")) return undefined;
  const params = object["params"];
  if (params !== null && typeof params === "object") return params as JsonRpcParams;
  throw invalid("params must be an object or an array", id);
}

/** Parses JSON text into a value; invalid JSON → -32700 (HTTP 400). */
export function parseJson(body: string | Uint8Array): unknown {
  const text =
    typeof body === "string" ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  try {
    return JSON.parse(text) as unknown;
  } catch (error: unknown) {
    const detail = error instanceof Error ? error.message : "malformed";
    throw new GatewayError(JsonRpcErrorCode.ParseError, `parse error: body is not valid JSON (${detail})`, {
      httpStatus: 400,
      cause: error,
    });
  }
}

/**
 * Validates one JSON-RPC 2.0 message without trusting any field's type. Batches are rejected: MCP's Streamable
 * HTTP transport (2025-06-18 and later) carries exactly one message per POST.
 */
export function toJsonRpcMessage(value: unknown): JsonRpcMessage {
  if (Array.isArray(value)) throw invalid("batch arrays are not supported; send one JSON-RPC message per request");
  if (value === null || typeof value !== "object") throw invalid("expected a JSON object");
  const object = value as Record<string, unknown>;
  const id = readId(object);
  if (object["jsonrpc"] !== "2.0") throw invalid('"jsonrpc" must be "2.0"', id);
  if (has(object, "method")) return toRequestOrNotification(object, id);
  if (has(object, "result") || has(object, "error")) return toResponse(object, id);
  throw invalid('expected "method" (request or notification) or "result"/"error" (response)', id);
}

function toRequestOrNotification(object: Record<string, unknown>, id: JsonRpcId): JsonRpcRequest | JsonRpcNotification {
  const method = object["method"];
  if (typeof method !== "string" || method.length === 0) throw invalid('"method" must be a non-empty string', id);
  const params = readParams(object, id);
  if (!has(object, "id")) return { kind: "notification", method, params, raw: object };
  if (id === null) throw invalid('"id" must be a string or a number (null is not allowed in MCP)');
  return { kind: "request", id, method, params, raw: object };
}

function toResponse(object: Record<string, unknown>, id: JsonRpcId): JsonRpcResponse {
  if (id === null) throw invalid('a response needs a string or number "id"');
  if (has(object, "result") === has(object, "error"))
    throw invalid('a response has exactly one of "result" and "error"', id);
  return { kind: "response", id, raw: object };
}

/**
 * Parses a request body into one JSON-RPC message; throws a {@link GatewayError} naming what was wrong. A message
 * nested deeper than `maxDepth` (`limits.maxJsonDepth`) is refused here, before any recursive code walks it.
 */
export function parseJsonRpc(body: string | Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): JsonRpcMessage {
  const value = parseJson(body);
  if (exceedsJsonDepth(value, maxDepth)) {
    const id =
      value !== null && typeof value === "object" && !Array.isArray(value)
        ? readId(value as Record<string, unknown>)
        : null;
    throw invalid(`JSON nested deeper than ${maxDepth} levels (limits.maxJsonDepth)`, id);
  }
  return toJsonRpcMessage(value);
}
