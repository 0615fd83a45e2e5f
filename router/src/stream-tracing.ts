import type * as grpc from "@grpc/grpc-js";
import {
  messageFacts,
  nullRecord,
  PROPAGATION_KEYS,
  withMeta,
  parseBody,
  type GatewayError,
  type GatewayTracing,
  type PipelineOutcome,
  type ReplyReader,
  type RequestSpan,
  type UpstreamCall,
  type UpstreamSpan,
} from "@mcp-gateway/core";

/**
 * The W3C fields of an ext_proc stream's gRPC metadata: Envoy's tracer puts its own span's context there (the HTTP
 * request headers Envoy hands the router carry only what the client sent).
 */
export function streamTraceCarrier(metadata: grpc.Metadata): Record<string, string> {
  const carrier = nullRecord<string>();
  for (const key of PROPAGATION_KEYS) {
    const value = metadata.get(key)[0];
    if (typeof value === "string") carrier[key] = value;
  }
  return carrier;
}

/**
 * The spans of one ext_proc stream (one HTTP request through Envoy), when tracing is on: a SERVER span for the
 * request, parented on the body's `_meta` context, else the stream's metadata (Envoy's span), else the client's
 * headers; it starts when the headers arrive (its start time) but is created once the body names the method. A routed
 * call gets a CLIENT span whose context goes to the upstream in the rewritten body's `params._meta` (Envoy sets the
 * `traceparent` header itself, from its own span).
 */
export class StreamTrace {
  private span: RequestSpan | undefined;
  private upstreamSpan: UpstreamSpan | undefined;
  private reply: ReplyReader | undefined;
  private sent: ReplyReader | undefined;
  private headers: Readonly<Record<string, string>> = nullRecord();
  private startTime = Date.now();
  private status: number | undefined;
  private consumerName = "";

  constructor(
    private readonly tracing: GatewayTracing,
    private readonly transport: Readonly<Record<string, string>>,
  ) {}

  /** The request headers arrived; a request without a body starts its span now. */
  begin(headers: Readonly<Record<string, string>>, endOfStream: boolean): void {
    this.headers = headers;
    this.startTime = Date.now();
    if (endOfStream) this.start(undefined);
  }

  /** Starts the request span from the JSON-RPC message (once). */
  start(message: unknown): RequestSpan {
    if (this.span) return this.span;
    const method = this.headers[":method"];
    this.span = this.tracing.startRequest({
      message,
      headers: this.headers,
      httpMethod: method === "GET" || method === "DELETE" ? method : undefined,
      transport: this.transport,
      startTime: this.startTime,
    });
    if (this.consumerName) this.span.note({ consumer: this.consumerName });
    return this.span;
  }

  /** Runs `fn` with the request span active (lazy initialize and rate-limit spans become its children). */
  run<T>(fn: () => T): T {
    return this.start(undefined).run(fn);
  }

  /** Notes who called (after authentication; recorded once the span starts). */
  consumer(name: string): void {
    this.consumerName = name;
    this.span?.note({ consumer: name || undefined });
  }

  /** Notes the pipeline's decision (server, decision, refusal reason). */
  decided(outcome: PipelineOutcome): void {
    const refusal = outcome.kind === "reject" ? outcome.error.message : undefined;
    this.start(undefined).note({ server: outcome.facts.server, decision: outcome.kind, refusal });
  }

  /** The request was refused with `error`. */
  refused(error: GatewayError): void {
    const span = this.start(undefined);
    span.note({ decision: "reject", refusal: error.message });
    span.fail(error.code, error.message);
  }

  /**
   * The routed call's body with its CLIENT span's context in `params._meta`, and the headers to set (content-length
   * follows the body).
   */
  upstream(call: UpstreamCall): { body: Buffer; setHeaders: Record<string, string> } {
    const message = parseBody(call.body);
    const facts = messageFacts(message);
    const span = this.start(undefined).upstream({ server: call.server.name, url: call.server.url, facts });
    this.upstreamSpan = span;
    if (message === undefined || !span.span.isRecording()) return { body: call.body, setHeaders: call.setHeaders };
    const body = Buffer.from(JSON.stringify(withMeta(message, span.fields)));
    return { body, setHeaders: { ...call.setHeaders, "content-length": String(body.length) } };
  }

  /** The upstream (or the broker) answered with `status`. */
  responded(status: number): void {
    this.status = status;
  }

  /**
   * Whether the routed call's reply body should stream through the router to be read (its span is recorded): a
   * JSON-RPC error or an isError result then sets error.type on the spans, and with `captureContent` the result is
   * recorded from what the client is sent ({@link sentChunk}; `clientContentType` is its content-type). Otherwise the
   * call's span ends now.
   */
  readsReply(headers: Readonly<Record<string, string>>, clientContentType: string): boolean {
    this.reply = this.upstreamSpan?.replyReader(headers["content-type"] ?? "");
    this.sent = this.reply && this.span?.clientReply(clientContentType);
    if (!this.reply) this.upstreamSpan?.end(this.status);
    return this.reply !== undefined;
  }

  /** The next chunk of the body the client is sent (rewritten and redacted) for a reply {@link readsReply} reads. */
  sentChunk(chunk: Buffer, endOfStream: boolean): void {
    if (!this.sent) return;
    if (chunk.length > 0) this.sent.push(chunk);
    if (!endOfStream) return;
    this.sent.end();
    this.sent = undefined;
  }

  /** A whole reply the client is sent (a replayed call's, rewritten and redacted): its result is recorded. */
  sentWhole(contentType: string, body: Buffer): void {
    this.span?.recordClientReply(contentType, body);
  }

  /** The next chunk of a reply {@link readsReply} asked for; its end ends the call's span. */
  replyChunk(chunk: Buffer, endOfStream: boolean): void {
    if (!this.reply) return;
    this.reply.push(chunk);
    if (!endOfStream) return;
    this.reply.end();
    this.reply = undefined;
    this.upstreamSpan?.end(this.status);
  }

  /** The stream ended: every span of it ends. */
  end(): void {
    this.upstreamSpan?.end(this.status);
    this.span?.end(this.status);
  }
}
