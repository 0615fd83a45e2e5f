import { Transform } from "node:stream";
import { encodeServerRequestId } from "./server-request-ids";

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

/** The upstream an SSE stream comes from: its name (for request ids) and prefix (for resource URIs). */
export interface StreamOrigin {
  name: string;
  prefix: string;
}

// The broker relays its own, aggregated view of list changes (with prefixes); an upstream's would duplicate it.
const DROPPED = new Set([
  "notifications/tools/list_changed",
  "notifications/prompts/list_changed",
  "notifications/resources/list_changed",
]);

/** The message as the client must see it, or null to drop it. */
function rewriteMessage(message: Record<string, unknown>, origin: StreamOrigin): Record<string, unknown> | null {
  const { method, id } = message;
  if (typeof method !== "string") return message;
  if (typeof id === "string" || typeof id === "number")
    return { ...message, id: encodeServerRequestId(origin.name, id) };
  if (DROPPED.has(method)) return null;
  const params = message["params"];
  if (params === null || typeof params !== "object" || Array.isArray(params)) return message;
  const fields = params as Record<string, unknown>;
  if (method === "notifications/resources/updated" && typeof fields["uri"] === "string") {
    return { ...message, params: { ...fields, uri: origin.prefix + fields["uri"] } };
  }
  const requestId = fields["requestId"];
  if (method === "notifications/cancelled" && (typeof requestId === "string" || typeof requestId === "number")) {
    return { ...message, params: { ...fields, requestId: encodeServerRequestId(origin.name, requestId) } };
  }
  return message;
}

function rewriteEvent(block: string, origin: StreamOrigin): string | null {
  const lines = block.split(/\r\n|\n|\r/);
  const dataLines = lines.filter((line) => line.startsWith("data:"));
  if (dataLines.length === 0) return block;
  const data = dataLines.map((line) => line.slice(line.startsWith("data: ") ? 6 : 5)).join("\n");
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return block;
  }
  if (message === null || typeof message !== "object" || Array.isArray(message)) return block;
  const rewritten = rewriteMessage(message as Record<string, unknown>, origin);
  if (rewritten === null) return null;
  if (rewritten === message) return block;
  const others = lines.filter((line) => !line.startsWith("data:"));
  return [...others, `data: ${JSON.stringify(rewritten)}`].join("\n");
}

/**
 * Rewrites an upstream's SSE stream into what the client must see: server-to-client request ids (and the requestId
 * of a `notifications/cancelled` for one) become gateway ids (see server-request-ids.ts), resource URIs in
 * `notifications/resources/updated` get the server's prefix, and upstream `list_changed` notifications are dropped
 * (the broker sends its own). Events can be split across chunks, so incomplete text is held back until its event
 * ends; everything else (responses, progress, log messages, comments) passes through unchanged.
 */
export class SseIdRewriter {
  private pending = "";

  constructor(private readonly origin: StreamOrigin) {}

  /** Takes the next chunk and returns the bytes that can be sent on now (possibly empty). */
  push(chunk: Buffer | string): Buffer {
    this.pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let out = "";
    let match = EVENT_END.exec(this.pending);
    while (match) {
      const block = this.pending.slice(0, match.index);
      const event = rewriteEvent(block, this.origin);
      if (event !== null) out += event + match[0];
      this.pending = this.pending.slice(match.index + match[0].length);
      match = EVENT_END.exec(this.pending);
    }
    return Buffer.from(out);
  }

  /** The rest at the end of the stream (an unterminated last event, passed on as it is). */
  end(): Buffer {
    const rest = this.pending;
    this.pending = "";
    return Buffer.from(rest);
  }
}

/** A Transform stream applying {@link SseIdRewriter} to an upstream SSE body (backpressure is kept). */
export function sseIdRewriteStream(origin: StreamOrigin): Transform {
  const rewriter = new SseIdRewriter(origin);
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
