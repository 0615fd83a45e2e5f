import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from "eventsource-parser";
import type { JsonRpcId } from "../errors";
import type { TaskReplyIds } from "../modern/tasks/task-reply";
import type { ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import { rewriteParsed } from "./reply-message";
import { SanitizeFailure, type ReplyRedaction } from "./sanitize-failure";

const EMPTY = Buffer.alloc(0);

/** The upstream an SSE stream comes from: its name (for request ids) and prefix (for resource URIs). */
export interface StreamOrigin {
  name: string;
  prefix: string;
  /** The server's configured resource prefix, if any (else implied by `prefix`: see `resourcePrefixOf`). */
  resourcePrefix?: string | undefined;
  /**
   * True when the reply answers one consumer under its own policy: a result the upstream marked `cacheScope: "public"`
   * is made `private`, so no shared cache serves it to a consumer whose policy the gateway never checked.
   */
  privateCache?: boolean | undefined;
  /** The task ids of the reply as the client must see them (a modern call that may name a task). */
  tasks?: TaskReplyIds | undefined;
}

// A server's own GET stream carries requests and notifications only: MCP forbids responses there unless a stream is
// resumed (the gateway never resumes one). A response on it would answer a client's pending call unsanitized.
function isResponse(data: string): boolean {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return false;
  }
  if (typeof message !== "object" || message === null) return false;
  return Array.isArray(message) || typeof (message as { method?: unknown }).method !== "string";
}

/** An event's data as the client must see it, or null to drop the event; throws a {@link SanitizeFailure}. */
function rewriteData(data: string, origin: StreamOrigin, redactor: ResultRedactor | undefined): string | null {
  // Without sanitization only requests, notifications and results naming resources are ever rewritten: anything else
  // is not even parsed. With it, or when the reply may name a task, every event is (a text check could be dodged with
  // escapes such as "\u0072esult").
  const everyEvent = redactor !== undefined || origin.tasks !== undefined;
  if (everyEvent ? data.trim() === "" : !data.includes('"method"') && !data.includes('"uri"')) return data;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch (error: unknown) {
    if (redactor) throw SanitizeFailure.unparseable(error);
    return data;
  }
  const rewritten = rewriteParsed(message, origin, redactor);
  if (rewritten === null) return null;
  // Under sanitization the data is always re-serialized: only what the gateway read (and redacted) leaves it.
  return rewritten === message && redactor === undefined ? data : JSON.stringify(rewritten);
}

// One event in canonical form: `id:`, `event:` and `data:` lines ended by LF, and a blank line.
function serialize(event: EventSourceMessage, data: string): string {
  let out = event.id === undefined ? "" : `id: ${event.id}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  for (const line of data.split("\n")) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * Rewrites an upstream's SSE stream into what the client must see: server-to-client request ids (and the requestId
 * of a `notifications/cancelled` for one) become gateway ids (see server-request-ids.ts), resource URIs in
 * `notifications/resources/updated` and in results get the server's prefix, and upstream `list_changed` notifications
 * are dropped (the broker sends its own).
 *
 * The stream is read exactly as the MCP SDK client reads it (WHATWG TextDecoder: one leading BOM stripped, invalid
 * bytes replaced; then `eventsource-parser`, the client's own SSE parser: CR, LF and CRLF line ends, chunks split
 * anywhere) and written out again in canonical form (see serialize; comments and `retry` kept, unknown fields and an
 * unterminated last event dropped, as the client never dispatches them), so what leaves the gateway means the same
 * to any client. An event's data may not exceed {@link MAX_REPLY_BYTES} characters.
 *
 * Under sanitization ({@link ReplyRedaction}) results are redacted too, and it fails closed: an event that cannot be
 * parsed or is too large is replaced by a JSON-RPC error event and the rest is dropped.
 */
export class SseIdRewriter {
  /** The content-type of the rewritten stream: canonical under sanitization, else the upstream's is kept. */
  readonly contentType: string | undefined;
  private readonly decoder = new TextDecoder("utf-8");
  private readonly parser: EventSourceParser;
  private out = "";
  private failed = false;
  private dropResponses = false;

  constructor(
    private readonly origin: StreamOrigin,
    private readonly redaction?: ReplyRedaction,
    /** The id an error event in the stream's place answers (the routed request's). */
    private readonly requestId: JsonRpcId = redaction?.requestId ?? null,
  ) {
    this.contentType = redaction ? "text/event-stream" : undefined;
    this.parser = createParser({
      onEvent: (event) => this.onEvent(event),
      onRetry: (retry) => (this.out += `retry: ${retry}\n\n`),
      onComment: (comment) => (this.out += `: ${comment}\n\n`),
      onError: (error: ParseError) => {
        if (error.type === "max-buffer-size-exceeded") throw SanitizeFailure.tooLarge();
      },
      maxBufferSize: MAX_REPLY_BYTES,
    });
  }

  /** A rewriter for an upstream's GET notification stream: as any other, but JSON-RPC responses are dropped. */
  static forNotifications(origin: StreamOrigin): SseIdRewriter {
    const rewriter = new SseIdRewriter(origin);
    rewriter.dropResponses = true;
    return rewriter;
  }

  /** Takes the next chunk and returns the bytes that can be sent on now (possibly empty). */
  push(chunk: Buffer | string): Buffer {
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    return this.feed(this.decoder.decode(bytes, { stream: true }));
  }

  /** The rest at the end of the stream: only complete events count (the client discards an unterminated one). */
  end(): Buffer {
    return this.feed(this.decoder.decode());
  }

  private feed(text: string): Buffer {
    if (this.failed) return EMPTY;
    try {
      this.parser.feed(text);
    } catch (error: unknown) {
      return this.fail(error);
    }
    const out = this.out;
    this.out = "";
    return out === "" ? EMPTY : Buffer.from(out);
  }

  private onEvent(event: EventSourceMessage): void {
    // The parser bounds an event still arriving; this bounds one that arrived whole in a single chunk.
    if (event.data.length > MAX_REPLY_BYTES) throw SanitizeFailure.tooLarge();
    if (this.dropResponses && isResponse(event.data)) return;
    const data = rewriteData(event.data, this.origin, this.redaction?.redactor);
    if (data !== null) this.out += serialize(event, data);
  }

  private fail(error: unknown): Buffer {
    // Only a too large event (always) or sanitization throws: anything else is a bug, not a reply to replace.
    if (this.redaction === undefined && !(error instanceof SanitizeFailure)) throw error;
    this.failed = true;
    const reply = SanitizeFailure.from(error).toReply(this.requestId);
    const sent = this.out;
    this.out = "";
    return Buffer.from(`${sent}data: ${reply}\n\n`);
  }
}
