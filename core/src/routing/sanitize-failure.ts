import { JsonRpcErrorCode, type JsonRpcId } from "../errors";
import type { ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";

/** A reply under sanitization: the call's redactor, and the id of the request an error in its place answers. */
export interface ReplyRedaction {
  redactor: ResultRedactor;
  /** The request's id (a routed call's reply carries the client's own id); null when unknown. */
  requestId: JsonRpcId;
}

/**
 * Why a reply under sanitization cannot be passed on: it is too large to hold or it cannot be read. Sanitization
 * fails closed, so the reply (or the rest of an SSE stream) is replaced by a JSON-RPC internal error.
 */
export class SanitizeFailure extends Error {
  override readonly name = "SanitizeFailure";

  /** A reply larger than {@link MAX_REPLY_BYTES} bytes, or (no size given) an SSE event of more characters. */
  static tooLarge(bytes?: number): SanitizeFailure {
    if (bytes === undefined) {
      return new SanitizeFailure(`reply too large to sanitize (an SSE event over ${MAX_REPLY_BYTES} characters)`);
    }
    return new SanitizeFailure(`reply too large to sanitize (${bytes} bytes, limit ${MAX_REPLY_BYTES})`);
  }

  /** A reply under sanitization that the gateway cannot read as its client will (see replyFormat). */
  static unreadable(reason: string): SanitizeFailure {
    return new SanitizeFailure(`${reason}: refused under redaction`);
  }

  /** A reply that is not JSON, not JSON-RPC, or that the redactor refused (see MAX_REDACTION_DEPTH). */
  static unparseable(cause?: unknown): SanitizeFailure {
    return new SanitizeFailure("reply could not be parsed for sanitization", { cause });
  }

  /** The failure itself, or an unparseable-reply failure wrapping anything else thrown while sanitizing. */
  static from(error: unknown): SanitizeFailure {
    return error instanceof SanitizeFailure ? error : SanitizeFailure.unparseable(error);
  }

  /** The JSON-RPC error response (serialized) that takes the reply's place. */
  toReply(id: JsonRpcId): string {
    return JSON.stringify({
      jsonrpc: "2.0",
      id,
      error: { code: JsonRpcErrorCode.InternalError, message: this.message },
    });
  }
}
