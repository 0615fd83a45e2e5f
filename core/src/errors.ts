import { randomBytes } from "node:crypto";

/** JSON-RPC 2.0 and MCP error codes the gateway emits. */
export const JsonRpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Implementation-defined server error range (-32000 to -32099): the gateway's own failures. */
  UpstreamUnavailable: -32001,
  SessionNotFound: -32002,
  RequestTooLarge: -32003,
  UpstreamTimeout: -32004,
  Forbidden: -32005,
  RateLimited: -32006,
  Unauthorized: -32007,
  /** MCP 2026-07-28 (spec-reserved range): the request needs a client capability the client did not declare. */
  MissingRequiredClientCapability: -32021,
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
