import { randomBytes } from "node:crypto";

/**
 * JSON-RPC 2.0 and MCP error codes the gateway emits (docs/errors.md lists every error with its HTTP status). MCP
 * 2026-07-28 (basic/index.mdx, "Error Codes") reserves -32020..-32099 for codes the specification defines, calls
 * -32000..-32019 legacy (not to be used by new implementations) and asks for other codes outside the JSON-RPC reserved
 * range -32768..-32000: the gateway's own codes are therefore -31001..-31007 (the last digits of the -320xx codes of
 * earlier gateway versions, so logs and dashboards map over).
 */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /**
   * Resource not found, MCP 2025-11-25 and earlier only (server/resources "Error Handling"). 2026-07-28 forbids it and
   * uses -32602 (SEP-2164): answers to modern clients go through {@link forModernClient}.
   */
  ResourceNotFound: -32002,
  /** MCP 2026-07-28: an `Mcp-*` header is missing, malformed or disagrees with the body (HTTP 400). */
  HeaderMismatch: -32020,
  /** MCP 2026-07-28: the request needs a client capability its `_meta` does not declare (HTTP 400). */
  MissingRequiredClientCapability: -32021,
  /** MCP 2026-07-28: the request's protocol version is not supported; `data.supported` lists those that are (400). */
  UnsupportedProtocolVersion: -32022,
  /** The gateway's own: an upstream (or a store the gateway depends on) cannot be reached or refused to start. */
  UpstreamUnavailable: -31001,
  /** The gateway's own: the `mcp-session-id` is unknown, expired, forged or another consumer's (HTTP 404). */
  SessionNotFound: -31002,
  /** The gateway's own: the body, headers or arguments exceed a configured limit (HTTP 413 or 431). */
  RequestTooLarge: -31003,
  /** The gateway's own: an upstream did not answer in time (HTTP 504). */
  UpstreamTimeout: -31004,
  /** The gateway's own: authenticated but not allowed (policy, Host/Origin check; HTTP 403). */
  Forbidden: -31005,
  /** The gateway's own: a rate limit or a concurrency budget is exhausted (HTTP 429 with Retry-After). */
  RateLimited: -31006,
  /** The gateway's own: no valid credentials (HTTP 401), or they cannot be checked right now (503). */
  Unauthorized: -31007,
} as const;

/** A JSON-RPC error code (see {@link JsonRpcErrorCode}). */
export type JsonRpcErrorCodeValue = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];

/** A JSON-RPC request id as it appeared on the wire (absent for notifications or when it could not be read). */
export type JsonRpcId = string | number | null;

/** Options for {@link GatewayError}. */
export interface GatewayErrorOptions {
  /** HTTP status to answer with at the edge; 200 for JSON-RPC level errors (the spec's default). */
  httpStatus?: number;
  /** Request id to echo in the JSON-RPC error, when known. */
  id?: JsonRpcId;
  /** Extra structured data for the JSON-RPC `error.data` field; never secrets. */
  data?: unknown;
  /** Response headers the edge adds (`WWW-Authenticate`, `Retry-After`); never secrets. */
  headers?: Readonly<Record<string, string>>;
  cause?: unknown;
}

/**
 * The one error type of the gateway: a JSON-RPC code, an HTTP status and a message that names what was wrong.
 * Converted to wire form (ImmediateResponse, HTTP response, gRPC status) only at the edges.
 */
export class GatewayError extends Error {
  override readonly name = "GatewayError";
  readonly code: JsonRpcErrorCodeValue;
  readonly httpStatus: number;
  readonly id: JsonRpcId;
  readonly data: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: JsonRpcErrorCodeValue, message: string, options: GatewayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.httpStatus = options.httpStatus ?? 200;
    this.id = options.id ?? null;
    this.data = options.data;
    this.headers = options.headers ?? {};
  }

  /**
   * Wraps anything thrown into a GatewayError (internal error, 500) keeping it as the cause. Its text never reaches
   * the client (it may name internal addresses, paths or config): the client gets a reference that the log line
   * written by {@link logUnexpected} carries next to the cause.
   */
  static from(error: unknown, id: JsonRpcId = null): GatewayError {
    if (error instanceof GatewayError) return error.id === id || id === null ? error : error.withId(id);
    const ref = randomBytes(6).toString("hex");
    return new GatewayError(JsonRpcErrorCode.InternalError, `internal error (ref ${ref})`, {
      httpStatus: 500,
      id,
      data: { ref },
      cause: error,
    });
  }

  /** The reference of an error {@link GatewayError.from} made out of something unexpected; undefined otherwise. */
  get unexpectedRef(): string | undefined {
    if (this.code !== JsonRpcErrorCode.InternalError || this.cause instanceof GatewayError) return undefined;
    const data = this.data as { ref?: unknown } | undefined;
    return typeof data?.ref === "string" ? data.ref : undefined;
  }

  /** The same error answering the given request id. */
  withId(id: JsonRpcId): GatewayError {
    return new GatewayError(this.code, this.message, {
      httpStatus: this.httpStatus,
      id,
      data: this.data,
      headers: this.headers,
      cause: this.cause,
    });
  }

  /** The JSON-RPC 2.0 error response object for this error. */
  toJsonRpc(): { jsonrpc: "2.0"; id: JsonRpcId; error: { code: number; message: string; data?: unknown } } {
    const error: { code: number; message: string; data?: unknown } = { code: this.code, message: this.message };
    if (this.data !== undefined) error.data = this.data;
    return { jsonrpc: "2.0", id: this.id, error };
  }
}

/** The structured logger surface {@link logUnexpected} needs. */
export interface ErrorLogger {
  error(message: string, fields?: Record<string, unknown>): void;
}

/** Logs the cause of an unexpected internal error with the reference its client was given; others are not logged. */
export function logUnexpected(
  logger: ErrorLogger | undefined,
  error: GatewayError,
  fields: Record<string, unknown> = {},
) {
  const ref = error.unexpectedRef;
  if (ref !== undefined) logger?.error("internal error", { ...fields, ref, error: error.cause });
}

/**
 * An error code as a client of MCP 2026-07-28 must receive it: -32002 (resource not found of earlier revisions, which
 * the 2026 revision forbids) becomes -32602 (SEP-2164); every other code is unchanged. For upstream errors relayed to a
 * modern client as well as the gateway's own.
 */
export function modernErrorCode(code: number): number {
  return code === JsonRpcErrorCode.ResourceNotFound ? JsonRpcErrorCode.InvalidParams : code;
}

/** The error as a client of MCP 2026-07-28 must receive it (see {@link modernErrorCode}); the same object if unchanged. */
export function forModernClient(error: GatewayError): GatewayError {
  if (error.code !== JsonRpcErrorCode.ResourceNotFound) return error;
  return new GatewayError(JsonRpcErrorCode.InvalidParams, error.message, {
    httpStatus: error.httpStatus,
    id: error.id,
    data: error.data,
    headers: error.headers,
    cause: error.cause,
  });
}
