import {
  context as otelContext,
  createContextKey,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from "@opentelemetry/api";
import { pipeline, type Readable } from "node:stream";
import { ATTR, cappedJson, messageFacts, RESULT_CAP, spanNameOf, type McpMessageFacts } from "./mcp-attributes";
import { injectedFields, withMeta } from "./propagation";
import { ReplyReader, replyOutcomeTap, type ReplyRead } from "./reply-outcome";

/** Where the gateway's tracer rides in a traced request's context, so child spans need no plumbing. */
export const TRACER_KEY = createContextKey("mcp-gateway tracer");
/** The {@link RequestSpan} of a traced request, in its context (see {@link activeRequestSpan}). */
const REQUEST_SPAN_KEY = createContextKey("mcp-gateway request span");

/** What the gateway decided for a request, as its span records it (`mcp_gateway.*`). */
export interface GatewayFacts {
  consumer?: string | undefined;
  server?: string | undefined;
  decision?: "broker" | "upstream" | "reject" | undefined;
  /** Why the gateway refused the request (its error message). */
  refusal?: string | undefined;
}

/** The upstream a client span goes to. */
export interface TracedUpstream {
  server: string;
  url: string;
  facts: McpMessageFacts;
}

/** The SERVER span of one MCP request (one `/mcp` POST, one ext_proc stream). */
export class RequestSpan {
  private ended = false;
  private failed = false;
  /** The context with this span active (and the tracer for child spans, and this object). */
  readonly context: Context;

  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
    context: Context,
    /** The request id of a tools/call whose result is recorded (`captureContent`); undefined: none is. */
    private readonly capturedId?: string,
  ) {
    this.context = context.setValue(REQUEST_SPAN_KEY, this);
  }

  /** Runs `fn` with this span active: spans started inside (lazy initialize, rate limits) become its children. */
  run<T>(fn: () => T): T {
    return otelContext.with(this.context, fn);
  }

  /** Records the gateway's own facts (consumer, server, decision, refusal reason). */
  note(facts: GatewayFacts): void {
    if (facts.consumer) this.span.setAttribute(ATTR.consumer, facts.consumer);
    if (facts.server) this.span.setAttribute(ATTR.server, facts.server);
    if (facts.decision) this.span.setAttribute(ATTR.decision, facts.decision);
    if (facts.refusal) this.span.setAttribute(ATTR.refusalReason, facts.refusal.slice(0, 512));
  }

  /** Marks the request failed with a JSON-RPC error (or `tool_error`): error.type, status ERROR with the message. */
  fail(code: number | string, message: string): void {
    if (this.failed) return;
    this.failed = true;
    markFailed(this.span, code, message);
  }

  /**
   * A reader for the reply as the client receives it, after the gateway's rewriting and `sanitize` redaction (never
   * the upstream's bytes): with `captureContent` the tools/call's result is recorded from it. Undefined when nothing
   * is to be recorded. `contentType` is the one the client gets.
   */
  clientReply(contentType: string): ReplyReader | undefined {
    const id = this.capturedId;
    if (id === undefined || !this.span.isRecording()) return undefined;
    return new ReplyReader(contentType, id, ({ result }) => this.recordResult(result));
  }

  /** {@link clientReply} for a whole reply body the client is sent at once (a replayed or bridged call's). */
  recordClientReply(contentType: string, body: Buffer): void {
    const reader = this.clientReply(contentType);
    reader?.push(body);
    reader?.end();
  }

  /** Records `result`, the tools/call result exactly as the client received it, when `captureContent` is on. */
  recordResult(result: unknown): void {
    if (this.capturedId === undefined || result === undefined || !this.span.isRecording()) return;
    this.span.setAttribute(ATTR.toolResult, cappedJson(result, RESULT_CAP));
  }

  /** A CLIENT span for the call the gateway makes to an upstream on this request's behalf. */
  upstream(target: TracedUpstream): UpstreamSpan {
    return startUpstreamSpan(this.tracer, this.context, target);
  }

  /** Ends the span once (later calls are ignored); an HTTP status of 500 or more without a recorded error fails it. */
  end(httpStatus?: number): void {
    if (this.ended) return;
    this.ended = true;
    if (httpStatus !== undefined) {
      this.span.setAttribute(ATTR.httpStatus, httpStatus);
      if (httpStatus >= 500 && !this.failed) this.fail(String(httpStatus), `HTTP ${httpStatus}`);
    }
    this.span.end();
  }
}

function markFailed(span: Span, code: number | string, message: string): void {
  const type = String(code);
  span.setAttribute(ATTR.errorType, type);
  if (typeof code === "number") span.setAttribute(ATTR.rpcStatus, type);
  span.setStatus({ code: SpanStatusCode.ERROR, message: message.slice(0, 512) });
}

/** The CLIENT span of one upstream call, with the W3C fields that carry it to the upstream. */
export class UpstreamSpan {
  private ended = false;
  private failed = false;
  /** `traceparent` (and `tracestate`/`baggage`) for the upstream request's headers and `_meta`. */
  readonly fields: Readonly<Record<string, string>>;

  constructor(
    readonly span: Span,
    context: Context,
    /** The JSON-RPC id of the call (its reply is matched by it); undefined for a notification. */
    private readonly requestId?: string,
    /** The span this call serves (the request's), told about the upstream's error answer too. */
    private readonly parent?: Span,
  ) {
    this.fields = injectedFields(context);
  }

  /**
   * The reply body, read on its way through for the response to this call: a JSON-RPC error or a tool result with
   * `isError` marks this span and the request's (error.type = the code, or `tool_error`). Content is never recorded
   * from it: these are the upstream's bytes, before `sanitize` (see {@link RequestSpan.clientReply}). The body itself
   * when the span is not recorded or the call has no id.
   */
  watchReply(body: Readable, contentType: string): Readable {
    if (this.requestId === undefined || !this.span.isRecording()) return body;
    const tap = replyOutcomeTap(contentType, this.requestId, (reply) => this.replied(reply));
    // Errors and early ends travel both ways: the consumer sees the upstream's failure, the upstream the consumer's.
    pipeline(body, tap, () => undefined);
    return tap;
  }

  /** A reader to push the reply's chunks into (as {@link watchReply} does), or undefined when there is none to read. */
  replyReader(contentType: string): ReplyReader | undefined {
    if (this.requestId === undefined || !this.span.isRecording()) return undefined;
    return new ReplyReader(contentType, this.requestId, (reply) => this.replied(reply));
  }

  private replied({ failure }: ReplyRead): void {
    if (!failure) return;
    this.failed = true;
    markFailed(this.span, failure.code, failure.message);
    if (this.parent?.isRecording()) markFailed(this.parent, failure.code, failure.message);
  }

  /** `message` with this span's context in `params._meta` (as the MCP conventions ask), or unchanged when not sampled. */
  inject<T>(message: T): T {
    return this.span.isRecording() ? withMeta(message, this.fields) : message;
  }

  /** Ends the span once: an HTTP status of 400 or more, or a failure, marks it ERROR. */
  end(httpStatus?: number, error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (httpStatus !== undefined) this.span.setAttribute(ATTR.httpStatus, httpStatus);
    if (error !== undefined) markFailed(this.span, "upstream_error", error instanceof Error ? error.message : "failed");
    else if (httpStatus !== undefined && httpStatus >= 400 && !this.failed)
      markFailed(this.span, String(httpStatus), `HTTP ${httpStatus}`);
    this.span.end();
  }
}

function startUpstreamSpan(tracer: Tracer, parent: Context, target: TracedUpstream): UpstreamSpan {
  const attributes: Attributes = {
    [ATTR.method]: target.facts.method ?? "unknown",
    [ATTR.transport]: "tcp",
    [ATTR.protocolName]: "http",
    [ATTR.server]: target.server,
  };
  if (target.facts.toolName !== undefined) {
    attributes[ATTR.toolName] = target.facts.toolName;
    attributes[ATTR.operationName] = "execute_tool";
  }
  if (target.facts.promptName !== undefined) attributes[ATTR.promptName] = target.facts.promptName;
  if (target.facts.id !== undefined) attributes[ATTR.requestId] = target.facts.id;
  try {
    const url = new URL(target.url);
    attributes[ATTR.serverAddress] = url.hostname;
    attributes[ATTR.serverPort] = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  } catch {
    // A server URL is validated at load; nothing to record otherwise.
  }
  const span = tracer.startSpan(spanNameOf(target.facts), { kind: SpanKind.CLIENT, attributes }, parent);
  return new UpstreamSpan(span, trace.setSpan(parent, span), target.facts.id, trace.getSpan(parent));
}

/**
 * Runs `fn` inside a child span of the active traced request (lazy initialize, a Redis rate limit: steps that cost
 * time). Outside a traced request (tracing off, or no request span active) it just runs `fn`: no span, no context.
 */
export async function traceChild<T>(name: string, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  if (!tracingActive) return fn();
  const active = otelContext.active();
  const tracer = active.getValue(TRACER_KEY) as Tracer | undefined;
  if (tracer === undefined) return fn();
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, active);
  try {
    return await otelContext.with(trace.setSpan(active, span), fn);
  } catch (error: unknown) {
    span.setStatus({
      code: SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message.slice(0, 512) : "failed",
    });
    span.setAttribute(ATTR.errorType, error instanceof Error ? error.name : "error");
    throw error;
  } finally {
    span.end();
  }
}

/**
 * A CLIENT span for an upstream call made inside a traced request (the forwarded call, a lazy initialize, a bridged
 * call), or undefined outside one: then the call goes out untouched, at the cost of one boolean test.
 */
export function tracedUpstreamCall(server: string, url: string, message: () => unknown): UpstreamSpan | undefined {
  if (!tracingActive) return undefined;
  const active = otelContext.active();
  const tracer = active.getValue(TRACER_KEY) as Tracer | undefined;
  if (tracer === undefined) return undefined;
  return startUpstreamSpan(tracer, active, { server, url, facts: messageFacts(message()) });
}

/** The traced request being handled (its context is active), or undefined outside one or with tracing off. */
export function activeRequestSpan(): RequestSpan | undefined {
  if (!tracingActive) return undefined;
  return otelContext.active().getValue(REQUEST_SPAN_KEY) as RequestSpan | undefined;
}

// Set once a tracer provider starts in this process: until then traceChild costs one boolean test.
let tracingActive = false;

/** Marks tracing as started in this process (see {@link traceChild}). */
export function markTracingActive(): void {
  tracingActive = true;
}
