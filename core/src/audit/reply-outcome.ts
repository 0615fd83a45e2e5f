import { createParser, type EventSourceParser } from "eventsource-parser";
import { replyFormat } from "../routing/reply-format";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
import type { AuditOutcome } from "./audit-event";

// A response (no method) with a result or an error; requests and notifications on an SSE reply are not outcomes.
function outcomeOf(message: unknown): AuditOutcome | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const record = message as Record<string, unknown>;
  if (record["method"] !== undefined) return undefined;
  if (record["error"] !== undefined) return "jsonrpc_error";
  const result = record["result"];
  if (result === undefined) return undefined;
  const isError = typeof result === "object" && result !== null && (result as { isError?: unknown }).isError === true;
  return isError ? "tool_error" : "ok";
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Options of {@link ReplyOutcomeScanner}. */
export interface ReplyScanOptions {
  /** Which JSON-RPC response is the call's (default: the first response, i.e. a message without `method`). */
  isResponse?: (message: Record<string, unknown>) => boolean;
  /** Told once, as soon as the response is read (an SSE event at once, a JSON body at the end). */
  onResponse?: (message: Record<string, unknown>) => void;
  /** A JSON body, or one SSE event, is read up to this size (default MAX_REPLY_BYTES); past it nothing is found. */
  maxBytes?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isAnyResponse = (message: Record<string, unknown>): boolean => message["method"] === undefined;

/**
 * Reads a routed call's reply as it streams past (never changing it) for the call's JSON-RPC response, JSON or SSE,
 * with the reply's media type parsed as everywhere else (`replyFormat`; a content-encoded body is not read). The
 * audit log takes the outcome from it, the tracing spans the response itself. Memory is bounded: a JSON body is kept
 * only up to `maxBytes` and an SSE event past it is dropped (nothing is found then); once the response is seen nothing
 * more is kept.
 */
export class ReplyOutcomeScanner {
  private response: Record<string, unknown> | undefined;
  private done = false;
  private readonly sse: EventSourceParser | undefined;
  private readonly decoder = new TextDecoder("utf-8");
  private json: Buffer[] | undefined;
  private size = 0;
  private readonly maxBytes: number;

  /** A scanner for a reply with these (lower-cased) response headers; a compressed or other body is not read. */
  constructor(
    headers: Readonly<Record<string, string | undefined>>,
    private readonly options: ReplyScanOptions = {},
  ) {
    this.maxBytes = options.maxBytes ?? MAX_REPLY_BYTES;
    const format = replyFormat(headers);
    if (format.encoded) return;
    if (format.kind === "sse") {
      this.sse = createParser({
        onEvent: (event) => this.read(event.data),
        // Past the bound the parser stops (and would throw on the next feed): so does this scanner.
        onError: () => (this.done = true),
        maxBufferSize: this.maxBytes,
      });
    } else if (format.kind === "json") this.json = [];
  }

  /** Reads the next chunk of the reply. */
  push(chunk: Buffer | Uint8Array): void {
    if (this.done) return;
    if (this.sse) {
      this.sse.feed(this.decoder.decode(chunk, { stream: true }));
    } else if (this.json) {
      this.size += chunk.length;
      if (this.size > this.maxBytes) this.json = undefined;
      else this.json.push(Buffer.from(chunk));
    }
  }

  /** The reply ended: a JSON body is read now. */
  end(): void {
    if (this.done || !this.json) return;
    const text = this.decoder.decode(Buffer.concat(this.json));
    this.json = undefined;
    this.read(text);
  }

  /** The outcome once the reply has ended; null when no response was read. */
  outcome(): AuditOutcome | null {
    this.end();
    return (this.response && outcomeOf(this.response)) ?? null;
  }

  private read(text: string): void {
    if (this.done) return;
    const message = parsed(text);
    if (!isRecord(message) || !(this.options.isResponse ?? isAnyResponse)(message)) return;
    this.done = true;
    this.json = undefined;
    this.response = message;
    this.options.onResponse?.(message);
  }
}

/** The outcome of a result the gateway holds as a value (a bridged call): `tool_error` when it has `isError: true`. */
export function resultOutcome(result: unknown): AuditOutcome {
  return outcomeOf({ result }) ?? "ok";
}
