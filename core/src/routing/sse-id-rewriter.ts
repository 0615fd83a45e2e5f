import { Transform } from "node:stream";
import { encodeServerRequestId } from "./server-request-ids";

const EVENT_END = /\r\n\r\n|\n\n|\r\r/;

function rewriteEvent(block: string, server: string): string {
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
  const request = message as Record<string, unknown>;
  const id = request["id"];
  if (typeof request["method"] !== "string" || (typeof id !== "string" && typeof id !== "number")) return block;
  const rewritten = `data: ${JSON.stringify({ ...request, id: encodeServerRequestId(server, id) })}`;
  const others = lines.filter((line) => !line.startsWith("data:"));
  return [...others, rewritten].join("\n");
}

/**
 * Rewrites, in an upstream's SSE stream, the ids of server-to-client requests (see server-request-ids.ts). Events can
 * be split across chunks, so incomplete text is held back until its event ends; everything else (responses,
 * notifications, comments, event ids for resumption) passes through unchanged.
 */
export class SseIdRewriter {
  private pending = "";

  constructor(private readonly server: string) {}

  /** Takes the next chunk and returns the bytes that can be sent on now (possibly empty). */
  push(chunk: Buffer | string): Buffer {
    this.pending += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let out = "";
    let match = EVENT_END.exec(this.pending);
    while (match) {
      const block = this.pending.slice(0, match.index);
      out += rewriteEvent(block, this.server) + match[0];
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
export function sseIdRewriteStream(server: string): Transform {
  const rewriter = new SseIdRewriter(server);
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
