import { Transform, type TransformCallback } from "node:stream";
import { ReplyOutcomeScanner } from "../audit/reply-outcome";

/** How an upstream answered a request, as the spans record it: a JSON-RPC error, or a tool result flagged isError. */
export interface ReplyFailure {
  /** The JSON-RPC error code, or `tool_error`. */
  code: number | "tool_error";
  message: string;
}

/** The failure `message` reports for the request `id` (a JSON-RPC response to it), if any. */
export function failureOf(message: unknown, id: string): ReplyFailure | undefined {
  if (!isResponseTo(message, id)) return undefined;
  const record = message;
  const error = record["error"];
  if (typeof error === "object" && error !== null) {
    const { code, message: text } = error as { code?: unknown; message?: unknown };
    if (typeof code === "number") return { code, message: typeof text === "string" ? text : "JSON-RPC error" };
  }
  const result = record["result"];
  if (typeof result === "object" && result !== null && (result as { isError?: unknown }).isError === true) {
    return { code: "tool_error", message: "the tool's result has isError: true" };
  }
  return undefined;
}

/** The response to a traced call, as its spans record it: its failure (if any) and its `result` (if any). */
export interface ReplyRead {
  failure?: ReplyFailure | undefined;
  result?: unknown;
}

// A JSON reply, or one SSE event, is read up to this size; past it nothing is recorded (the bytes still pass).
const MAX_READ_BYTES = 1024 * 1024;

function isResponseTo(message: unknown, id: string): message is Record<string, unknown> {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return false;
  const messageId = (message as Record<string, unknown>)["id"];
  return (typeof messageId === "string" || typeof messageId === "number") && String(messageId) === id;
}

/**
 * Reads an upstream's reply (JSON, or SSE events) chunk by chunk for the response to request `id`, and reports it
 * once (at the latest when the reply ends): the audit's {@link ReplyOutcomeScanner}, keyed by the request id, with
 * memory bounded at 1 MiB per JSON body or SSE event.
 */
export class ReplyReader {
  private readonly scanner: ReplyOutcomeScanner;

  constructor(contentType: string, id: string, onResponse: (reply: ReplyRead) => void) {
    this.scanner = new ReplyOutcomeScanner(
      { "content-type": contentType },
      {
        isResponse: (message) => isResponseTo(message, id),
        onResponse: (message) => onResponse({ failure: failureOf(message, id), result: message["result"] }),
        maxBytes: MAX_READ_BYTES,
      },
    );
  }

  /** Reads the next chunk of the reply. */
  push(chunk: Buffer | Uint8Array): void {
    this.scanner.push(chunk);
  }

  /** The reply ended: a JSON body is read now. */
  end(): void {
    this.scanner.end();
  }
}

/**
 * A pass-through stream that reads an upstream's reply with a {@link ReplyReader}. The bytes pass unchanged and with
 * backpressure; only a traced call is tapped.
 */
export function replyOutcomeTap(contentType: string, id: string, onResponse: (reply: ReplyRead) => void): Transform {
  const reader = new ReplyReader(contentType, id, onResponse);
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      reader.push(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      reader.end();
      done();
    },
  });
}
