import { StringDecoder } from "node:string_decoder";
import type { ResultRedactor } from "../sanitize";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import { rewriteParsed } from "./reply-message";
import { SanitizeFailure, type ReplyRedaction } from "./sanitize-failure";

// Global, so a scan can resume where the previous chunk's ended (lastIndex); only ever used synchronously.
const EVENT_END = /\r\n\r\n|\n\n|\r\r/g;
// The longest event end minus one: how far back a new chunk can complete one that began in the previous chunk.
const EVENT_END_CARRY = 3;
const EMPTY = Buffer.alloc(0);

/** The upstream an SSE stream comes from: its name (for request ids) and prefix (for resource URIs). */
export interface StreamOrigin {
  name: string;
  prefix: string;
}

const isData = (line: string): boolean => line.startsWith("data:");

/** The event as the client must see it, or null to drop it; throws a {@link SanitizeFailure} under a redactor. */
function rewriteEvent(block: string, origin: StreamOrigin, redactor: ResultRedactor | undefined): string | null {
  const lines = block.split(/\r\n|\n|\r/);
  const dataLines = lines.filter(isData);
  if (dataLines.length === 0) return block;
  const data = dataLines.map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n");
  // Without sanitization only requests, notifications and results naming resources are ever rewritten: anything else
  // is not even parsed. With it every event is (a text check could be dodged with escapes such as "\u0072esult").
  if (redactor === undefined ? !data.includes('"method"') && !data.includes('"uri"') : data.trim() === "") return block;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch (error: unknown) {
    if (redactor) throw SanitizeFailure.unparseable(error);
    return block;
  }
  const rewritten = rewriteParsed(message, origin, redactor);
  if (rewritten === null) return null;
  if (rewritten === message) return block;
  // Blank lines only occur at the end of an unterminated last event (see end()).
  const others = lines.filter((line) => line !== "" && !isData(line));
  return [...others, `data: ${JSON.stringify(rewritten)}`].join("\n");
}

/**
 * Rewrites an upstream's SSE stream into what the client must see: server-to-client request ids (and the requestId
 * of a `notifications/cancelled` for one) become gateway ids (see server-request-ids.ts), resource URIs in
 * `notifications/resources/updated` and in results get the server's prefix, and upstream `list_changed` notifications
 * are dropped (the broker sends its own). Events can be split across chunks anywhere (even inside a UTF-8 character),
 * so incomplete text is held back until its event ends; everything else passes through unchanged.
 *
 * Under sanitization ({@link ReplyRedaction}) results are redacted too, and it fails closed: an event that cannot be
 * parsed or is larger than {@link MAX_REPLY_BYTES} is replaced by a JSON-RPC error event and the rest is dropped.
 */
export class SseIdRewriter {
  private readonly decoder = new StringDecoder("utf8");
  private pending = "";
  // Where the next search for an event end starts: the pending text before it was already searched.
  private scanFrom = 0;
  // Bytes of the incomplete event, counted under sanitization only.
  private pendingBytes = 0;
  private failed = false;

  constructor(
    private readonly origin: StreamOrigin,
    private readonly redaction?: ReplyRedaction,
  ) {}

  /** Takes the next chunk and returns the bytes that can be sent on now (possibly empty). */
  push(chunk: Buffer | string): Buffer {
    if (this.failed) return EMPTY;
    this.pending += typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    if (this.redaction) this.pendingBytes += typeof chunk === "string" ? Buffer.byteLength(chunk) : chunk.length;
    let out = "";
    let start = 0;
    try {
      EVENT_END.lastIndex = this.scanFrom;
      for (let match = EVENT_END.exec(this.pending); match; match = EVENT_END.exec(this.pending)) {
        const event = this.rewrite(this.pending.slice(start, match.index));
        if (event !== null) out += event + match[0];
        start = match.index + match[0].length;
      }
      this.keep(start);
    } catch (error: unknown) {
      return this.fail(out, error);
    }
    return Buffer.from(out);
  }

  /** The rest at the end of the stream: an unterminated last event (sanitized under a redactor, else as it is). */
  end(): Buffer {
    if (this.failed) return EMPTY;
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    this.scanFrom = this.pendingBytes = 0;
    if (this.redaction === undefined || rest.trim() === "") return Buffer.from(rest);
    try {
      return Buffer.from(this.rewrite(rest) ?? "");
    } catch (error: unknown) {
      return this.fail("", error);
    }
  }

  private rewrite(block: string): string | null {
    // A block of n UTF-16 units is at most 3n UTF-8 bytes: only a possibly too large one is measured.
    if (this.redaction && block.length * 3 > MAX_REPLY_BYTES) {
      const bytes = Buffer.byteLength(block);
      if (bytes > MAX_REPLY_BYTES) throw SanitizeFailure.tooLarge(bytes);
    }
    return rewriteEvent(block, this.origin, this.redaction?.redactor);
  }

  // Drops the events handled so far; under sanitization an incomplete event may not grow past the limit.
  private keep(consumed: number): void {
    if (consumed > 0) {
      this.pending = this.pending.slice(consumed);
      if (this.redaction) this.pendingBytes = Buffer.byteLength(this.pending);
    }
    this.scanFrom = Math.max(0, this.pending.length - EVENT_END_CARRY);
    if (this.pendingBytes > MAX_REPLY_BYTES) throw SanitizeFailure.tooLarge(this.pendingBytes);
  }

  private fail(sent: string, error: unknown): Buffer {
    // Only sanitization throws: anything else is a bug, not a reply to replace.
    if (this.redaction === undefined) throw error;
    this.failed = true;
    this.pending = "";
    const reply = SanitizeFailure.from(error).toReply(this.redaction.requestId);
    return Buffer.from(`${sent}data: ${reply}\n\n`);
  }
}
