import { Transform, type TransformCallback } from "node:stream";
import { createParser, type EventSourceParser } from "eventsource-parser";

/** How an upstream answered a request, as the spans record it: a JSON-RPC error, or a tool result flagged isError. */
export interface ReplyFailure {
  /** The JSON-RPC error code, or `tool_error`. */
  code: number | "tool_error";
  message: string;
}

// A JSON reply is read for its outcome up to this size; past it the outcome is not recorded (the bytes still pass).
const MAX_JSON_BYTES = 1024 * 1024;

/** The failure `message` reports for the request `id` (a JSON-RPC response to it), if any. */
export function failureOf(message: unknown, id: string): ReplyFailure | undefined {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return undefined;
  const record = message as Record<string, unknown>;
  const messageId = record["id"];
  if ((typeof messageId !== "string" && typeof messageId !== "number") || String(messageId) !== id) return undefined;
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

/**
 * A pass-through stream that reads an upstream's reply (JSON, or SSE events) for the response to request `id` and
 * reports its failure once. The bytes pass unchanged and with backpressure; only a traced call is tapped.
 */
export function replyOutcomeTap(
  contentType: string,
  id: string,
  onFailure: (failure: ReplyFailure) => void,
): Transform {
  let reported = false;
  const report = (message: unknown): void => {
    if (reported) return;
    const failure = failureOf(message, id);
    if (failure) {
      reported = true;
      onFailure(failure);
    }
  };
  const parseJson = (text: string): void => {
    try {
      report(JSON.parse(text) as unknown);
    } catch {
      // Not JSON: nothing to record.
    }
  };
  if (contentType.toLowerCase().includes("text/event-stream")) {
    const decoder = new TextDecoder("utf-8");
    const parser: EventSourceParser = createParser({ onEvent: (event) => parseJson(event.data) });
    return new Transform({
      transform(chunk: Buffer, _encoding, done: TransformCallback) {
        if (!reported) parser.feed(decoder.decode(chunk, { stream: true }));
        done(null, chunk);
      },
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      size += chunk.length;
      if (size <= MAX_JSON_BYTES) chunks.push(chunk);
      done(null, chunk);
    },
    flush(done: TransformCallback) {
      if (size <= MAX_JSON_BYTES) parseJson(Buffer.concat(chunks).toString("utf8"));
      done();
    },
  });
}
