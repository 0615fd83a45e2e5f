import { Transform } from "node:stream";
import type { ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import { rewriteParsed } from "./reply-message";
import { SanitizeFailure, type ReplyRedaction } from "./sanitize-failure";
import { SseIdRewriter, type StreamOrigin } from "./sse-id-rewriter";

const EMPTY = Buffer.alloc(0);

function rewriteJson(body: Buffer, origin: StreamOrigin, redactor: ResultRedactor | undefined): Buffer {
  const text = body.toString("utf8");
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error: unknown) {
    // An empty body carries nothing to redact (and nothing a client would read as a result).
    if (redactor === undefined || text.trim() === "") return body;
    throw SanitizeFailure.unparseable(error);
  }
  const rewritten = rewriteParsed(message, origin, redactor);
  return rewritten === message || rewritten === null ? body : Buffer.from(JSON.stringify(rewritten));
}

/**
 * A whole JSON reply body as the client must see it (a JSON-RPC response to a routed call); the very same buffer
 * when nothing changed. Under sanitization a body that cannot be read is replaced by a JSON-RPC error (fail closed).
 */
export function rewriteJsonReply(body: Buffer, origin: StreamOrigin, redaction?: ReplyRedaction): Buffer {
  try {
    return rewriteJson(body, origin, redaction?.redactor);
  } catch (error: unknown) {
    if (redaction === undefined) throw error;
    return Buffer.from(SanitizeFailure.from(error).toReply(redaction.requestId));
  }
}

/** Rewrites a reply body piece by piece: each chunk as it arrives, then whatever is left at the end. */
export interface ReplyRewriter {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

/** A routed call as {@link replyRewriter} needs it (an UpstreamCall plus, when sanitized, its redactor). */
export interface RewrittenCall {
  server: StreamOrigin;
  method: string;
  /** The id of the client's request, echoed by an error that replaces an unsanitizable reply. */
  requestId?: string | number | undefined;
  /** Redacts the call's results (see Redactor.forCall); the reply is then rewritten whatever the prefix. */
  redactor?: ResultRedactor | undefined;
}

/**
 * What a routed call's reply needs before the client sees it, decided once for the router, its replay and the
 * standalone forwarder: SSE replies carry server-to-client requests (ids rewritten) and results (resource URIs
 * prefixed); a JSON result of a prefixed server may name resources; any result of a sanitized call is redacted.
 * Undefined: the reply passes through untouched.
 */
export function replyRewriter(contentType: string, call: RewrittenCall): ReplyRewriter | undefined {
  const redaction: ReplyRedaction | undefined = call.redactor
    ? { redactor: call.redactor, requestId: call.requestId ?? null }
    : undefined;
  if (contentType.includes("text/event-stream")) return new SseIdRewriter(call.server, redaction);
  const rewritten = call.server.prefix !== "" || redaction !== undefined;
  if (contentType.includes("application/json") && rewritten && call.method !== "response") {
    return new JsonReplyRewriter(call.server, redaction);
  }
  return undefined;
}

/** A whole buffered reply through a {@link ReplyRewriter}. */
export function rewriteWhole(rewriter: ReplyRewriter, body: Buffer): Buffer {
  return Buffer.concat([rewriter.push(body), rewriter.end()]);
}

/** A Transform stream applying a {@link ReplyRewriter} (backpressure is kept). */
export function rewriteStream(rewriter: ReplyRewriter): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const out = rewriter.push(chunk);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback) {
      const rest = rewriter.end();
      callback(null, rest.length > 0 ? rest : undefined);
    },
  });
}

/**
 * Collects a streamed JSON reply and rewrites it at its end (a JSON body cannot be rewritten piecewise). Past
 * {@link MAX_REPLY_BYTES} it gives up: it passes everything on unchanged, or, under sanitization, sends a JSON-RPC
 * error in the reply's place and drops the rest (fail closed).
 */
export class JsonReplyRewriter {
  private chunks: Buffer[] = [];
  private size = 0;
  private mode: "collect" | "pass" | "failed" = "collect";

  constructor(
    private readonly origin: StreamOrigin,
    private readonly redaction?: ReplyRedaction,
  ) {}

  /** Takes the next chunk; returns what can be sent on now (nothing until the end, unless too large). */
  push(chunk: Buffer): Buffer {
    if (this.mode !== "collect") return this.mode === "pass" ? chunk : EMPTY;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= MAX_REPLY_BYTES) return EMPTY;
    if (this.redaction === undefined) {
      this.mode = "pass";
      return this.drain();
    }
    this.mode = "failed";
    this.chunks = [];
    return Buffer.from(SanitizeFailure.tooLarge(this.size).toReply(this.redaction.requestId));
  }

  /** The rewritten reply at the end of the stream. */
  end(): Buffer {
    return this.mode === "collect" ? rewriteJsonReply(this.drain(), this.origin, this.redaction) : EMPTY;
  }

  private drain(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return all;
  }
}
