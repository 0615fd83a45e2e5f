import { Transform } from "node:stream";
import type { ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import type { JsonRpcId } from "../errors";
import type { TaskReplyIds } from "../modern/tasks/task-reply";
import { resourcePrefixOf } from "../catalog/resource-uris";
import { replyFormat } from "./reply-format";
import { rewriteParsed } from "./reply-message";
import { SanitizeFailure, type ReplyRedaction } from "./sanitize-failure";
import { SseIdRewriter, type StreamOrigin } from "./sse-id-rewriter";

const EMPTY = Buffer.alloc(0);

// As fetch's `body.json()` reads a body (WHATWG UTF-8 decode: one leading BOM stripped, invalid bytes replaced).
const UTF8 = new TextDecoder("utf-8");

function rewriteJson(body: Buffer, origin: StreamOrigin, redactor: ResultRedactor | undefined): Buffer {
  const text = UTF8.decode(body);
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error: unknown) {
    // An empty body carries nothing to redact (and nothing a client would read as a result).
    if (redactor === undefined || text.trim() === "") return body;
    throw SanitizeFailure.unparseable(error);
  }
  const rewritten = rewriteParsed(message, origin, redactor);
  // Under sanitization the reply is always re-serialized: only what the gateway read (and redacted) leaves it, so a
  // client whose JSON parser differs (duplicate keys, BOM, escapes) cannot read anything else into it.
  if (redactor !== undefined) return Buffer.from(JSON.stringify(rewritten ?? message));
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
  /** The content-type the rewritten reply must carry; undefined: the upstream's is kept. */
  readonly contentType: string | undefined;
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
  /** The result is one consumer's (see StreamOrigin.privateCache); the reply is then rewritten whatever the prefix. */
  privateCache?: boolean | undefined;
  /** The client's task ids for the upstream's (tasks extension); the reply is then rewritten whatever the prefix. */
  tasks?: TaskReplyIds | undefined;
}

/**
 * What a routed call's reply needs before the client sees it, decided once from the upstream's response headers
 * (lower-cased names) for the router, its replay and the standalone forwarder: SSE replies carry server-to-client
 * requests (ids rewritten) and results (resource URIs prefixed); a JSON result of a prefixed server may name
 * resources; any result of a sanitized call is redacted. The body kind is read as the client reads it (see
 * replyFormat). Under sanitization a reply the gateway cannot read with certainty (content-encoded, neither JSON nor
 * SSE, malformed content-type) is refused: a JSON-RPC error takes its place. Undefined: the reply passes untouched.
 */
export function replyRewriter(
  headers: Readonly<Record<string, string | undefined>>,
  call: RewrittenCall,
): ReplyRewriter | undefined {
  const format = replyFormat(headers);
  const origin: StreamOrigin = {
    ...call.server,
    ...(call.tasks === undefined ? {} : { tasks: call.tasks }),
    ...(call.privateCache === true ? { privateCache: true } : {}),
  };
  if (call.redactor !== undefined) {
    const redaction: ReplyRedaction = { redactor: call.redactor, requestId: call.requestId ?? null };
    if (format.unreadable !== undefined) {
      return new RefusedReply(SanitizeFailure.unreadable(format.unreadable), redaction.requestId);
    }
    return format.kind === "sse" ? new SseIdRewriter(origin, redaction) : new JsonReplyRewriter(origin, redaction);
  }
  // Without sanitization a compressed reply is not read at all (the gateway asks upstreams for identity).
  if (format.encoded) return undefined;
  if (format.kind === "sse") return new SseIdRewriter(origin, undefined, call.requestId ?? null);
  const namesResources = resourcePrefixOf(call.server) !== "" && call.method !== "response";
  const rewritesJson = namesResources || call.tasks !== undefined || call.privateCache === true;
  if (format.kind === "json" && rewritesJson) return new JsonReplyRewriter(origin);
  return undefined;
}

/**
 * A reply under sanitization that cannot be read: its body is replaced by one JSON-RPC error (sent as soon as any of
 * it arrives; an empty body stays empty, there is nothing to hide), and none of it is passed on.
 */
export class RefusedReply implements ReplyRewriter {
  readonly contentType = "application/json";
  private sent = false;

  constructor(
    private readonly failure: SanitizeFailure,
    private readonly requestId: JsonRpcId,
  ) {}

  /** The error in place of the first bytes; nothing after. */
  push(chunk: Buffer): Buffer {
    if (this.sent || chunk.length === 0) return EMPTY;
    this.sent = true;
    return Buffer.from(this.failure.toReply(this.requestId));
  }

  /** Nothing: the body is never passed on. */
  end(): Buffer {
    return EMPTY;
  }
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
export class JsonReplyRewriter implements ReplyRewriter {
  /** The content-type of the rewritten reply: canonical under sanitization, else the upstream's is kept. */
  readonly contentType: string | undefined;
  private chunks: Buffer[] = [];
  private size = 0;
  private mode: "collect" | "pass" | "failed" = "collect";

  constructor(
    private readonly origin: StreamOrigin,
    private readonly redaction?: ReplyRedaction,
  ) {
    this.contentType = redaction ? "application/json" : undefined;
  }

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
