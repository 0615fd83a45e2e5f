import { Transform } from "node:stream";
import { MAX_REPLY_BYTES } from "../upstream/upstream-http";
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

type Json = Record<string, unknown>;
const isJson = (value: unknown): value is Json => value !== null && typeof value === "object" && !Array.isArray(value);

// A content block naming a resource: a resource_link's own uri, an embedded resource's resource.uri.
function prefixBlock(block: unknown, prefix: string): unknown {
  if (!isJson(block)) return block;
  if (block["type"] === "resource_link" && typeof block["uri"] === "string")
    return { ...block, uri: prefix + block["uri"] };
  const resource = block["resource"];
  if (block["type"] === "resource" && isJson(resource) && typeof resource["uri"] === "string") {
    return { ...block, resource: { ...resource, uri: prefix + resource["uri"] } };
  }
  return block;
}

/**
 * Resource URIs inside a result, with the server's prefix, so the client can read them back through the gateway:
 * `resources/read` contents, resource blocks of tool results (`content`) and of prompt messages.
 */
export function prefixResultUris(result: Json, prefix: string): Json {
  if (prefix === "") return result;
  let changed = false;
  // Arrays are copied only when an element changed, so a result without resource URIs stays the same object.
  const mapped = (items: unknown[], each: (item: unknown) => unknown): unknown[] => {
    const out = items.map(each);
    if (out.some((item, index) => item !== items[index])) changed = true;
    return out;
  };
  const prefixUri = (c: unknown): unknown =>
    isJson(c) && typeof c["uri"] === "string" ? { ...c, uri: prefix + c["uri"] } : c;
  const { contents, content, messages } = result;
  const out: Json = { ...result };
  if (Array.isArray(contents)) out["contents"] = mapped(contents, prefixUri);
  if (Array.isArray(content)) out["content"] = mapped(content, (block) => prefixBlock(block, prefix));
  if (Array.isArray(messages)) {
    out["messages"] = mapped(messages, (m) => {
      if (!isJson(m)) return m;
      const block = prefixBlock(m["content"], prefix);
      return block === m["content"] ? m : { ...m, content: block };
    });
  }
  return changed ? out : result;
}

/** The message as the client must see it, or null to drop it. */
function rewriteMessage(message: Record<string, unknown>, origin: StreamOrigin): Record<string, unknown> | null {
  const { method, id } = message;
  if (typeof method !== "string") {
    const result = message["result"];
    if (!isJson(result) || origin.prefix === "") return message;
    const prefixed = prefixResultUris(result, origin.prefix);
    return prefixed === result ? message : { ...message, result: prefixed };
  }
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
  // Only requests, notifications and results naming resources are ever rewritten: anything else is not even parsed.
  if (!data.includes('"method"') && !data.includes('"uri"')) return block;
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

/** A whole JSON reply body as the client must see it (a JSON-RPC response to a routed call). */
export function rewriteJsonReply(body: Buffer, origin: StreamOrigin): Buffer {
  let message: unknown;
  try {
    message = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  if (!isJson(message)) return body;
  const rewritten = rewriteMessage(message, origin);
  return rewritten === message || rewritten === null ? body : Buffer.from(JSON.stringify(rewritten));
}

/** Rewrites a reply body piece by piece: each chunk as it arrives, then whatever is left at the end. */
export interface ReplyRewriter {
  push(chunk: Buffer): Buffer;
  end(): Buffer;
}

/**
 * What a routed call's reply needs before the client sees it, decided once for the router, its replay and the
 * standalone forwarder: SSE replies carry server-to-client requests (ids rewritten) and results (resource URIs
 * prefixed); a JSON result of a prefixed server may name resources. Undefined: the reply passes through untouched.
 */
export function replyRewriter(
  contentType: string,
  call: { server: StreamOrigin; method: string },
): ReplyRewriter | undefined {
  if (contentType.includes("text/event-stream")) return new SseIdRewriter(call.server);
  if (contentType.includes("application/json") && call.server.prefix !== "" && call.method !== "response") {
    return new JsonReplyRewriter(call.server);
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
 * {@link MAX_REPLY_BYTES} it gives up and passes everything on unchanged.
 */
export class JsonReplyRewriter {
  private chunks: Buffer[] = [];
  private size = 0;
  private passThrough = false;

  constructor(private readonly origin: StreamOrigin) {}

  /** Takes the next chunk; returns what can be sent on now (nothing until the end, unless too large). */
  push(chunk: Buffer): Buffer {
    if (this.passThrough) return chunk;
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (this.size <= MAX_REPLY_BYTES) return Buffer.alloc(0);
    this.passThrough = true;
    return this.drain();
  }

  /** The rewritten reply at the end of the stream. */
  end(): Buffer {
    return this.passThrough ? Buffer.alloc(0) : rewriteJsonReply(this.drain(), this.origin);
  }

  private drain(): Buffer {
    const all = Buffer.concat(this.chunks);
    this.chunks = [];
    return all;
  }
}
