import { describeError } from "../connection-url";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import type { Logger } from "../logging";

// undici names its own timeouts; AbortSignal.timeout() raises TimeoutError, an abort AbortError.
const TIMEOUT_ERRORS = new Set(["TimeoutError", "AbortError", "HeadersTimeoutError", "BodyTimeoutError"]);

// What a client may learn of a failed upstream call: the kind of failure, by error code. Never the message, which
// names the upstream's address (`connect ECONNREFUSED 10.0.0.7:8080`) or a resolver's view of the network.
const FAILURE_KINDS: ReadonlyMap<string, string> = new Map([
  ["ECONNREFUSED", "connection refused"],
  ["ECONNRESET", "connection reset"],
  ["EPIPE", "connection reset"],
  ["UND_ERR_SOCKET", "connection closed"],
  ["UND_ERR_CLOSED", "connection closed"],
  ["ENOTFOUND", "host name not resolved"],
  ["EAI_AGAIN", "host name not resolved"],
  ["EHOSTUNREACH", "host unreachable"],
  ["ENETUNREACH", "network unreachable"],
  ["ETIMEDOUT", "connection timed out"],
  ["UND_ERR_CONNECT_TIMEOUT", "connection timed out"],
  ["UND_ERR_RES_CONTENT_LENGTH_MISMATCH", "malformed reply"],
  ["HPE_INVALID_CONSTANT", "malformed reply"],
  ["UND_ERR_INFO", "malformed reply"],
]);

/** Thrown by reads that stop at a size limit; its message names only the limit. */
export class ReplyTooLargeError extends Error {
  override readonly name = "ReplyTooLargeError";
  constructor(readonly limit: number) {
    super(`reply larger than ${limit} bytes`);
  }
}

function codeOf(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? code : undefined;
}

/** The kind of a failed call as a client may see it (no address, no host name, no OS message). */
export function failureKind(error: unknown): string {
  if (error instanceof ReplyTooLargeError) return error.message;
  const code = codeOf(error) ?? codeOf((error as { cause?: unknown } | null)?.cause);
  if (code === undefined) return "request failed";
  const kind = FAILURE_KINDS.get(code);
  if (kind !== undefined) return kind;
  if (code.includes("CERT") || code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL")) return "TLS failure";
  return "request failed";
}

/**
 * The GatewayError a failed upstream call becomes: 504 for a timeout, else 502, naming the server by its config name
 * and the kind of failure only. The detail (which may name the upstream's address) goes to `logger`, not the client.
 * A GatewayError already (no connection free in time: 503) is kept as it is.
 */
export function upstreamFailure(
  target: { readonly name: string; readonly url: string },
  error: unknown,
  timeoutMs: number,
  logger: Logger | undefined,
): GatewayError {
  const server = target.name;
  // Read by name, not `instanceof Error`: the abort reason is a DOMException, which is not an `Error` of another realm
  // (a vm context such as jest's), and a timeout must never be reported as "unreachable".
  const name = typeof error === "object" && error !== null ? (error as { name?: unknown }).name : undefined;
  const timedOut = typeof name === "string" && TIMEOUT_ERRORS.has(name);
  // The operator's log names the upstream's origin (never its credentials: an origin has no userinfo or path).
  const upstream = URL.canParse(target.url) ? new URL(target.url).origin : undefined;
  logger?.warn("upstream call failed", { server, upstream, error: describeError(error), code: codeOf(error) });
  if (error instanceof GatewayError) return error;
  if (timedOut) {
    return new GatewayError(
      JsonRpcErrorCode.UpstreamTimeout,
      `upstream "${server}" did not answer within ${timeoutMs} ms`,
      { httpStatus: 504, cause: error },
    );
  }
  return new GatewayError(
    JsonRpcErrorCode.UpstreamUnavailable,
    `upstream "${server}" is unreachable (${failureKind(error)})`,
    { httpStatus: 502, cause: error },
  );
}
