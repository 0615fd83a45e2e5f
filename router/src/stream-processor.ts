import {
  forwardHeaders,
  GatewayError,
  isInternalHeader,
  JsonRpcErrorCode,
  SESSION_HEADER,
  replyRewriter,
  rewriteWhole,
  type ReplyRewriter,
  type HostGuard,
  type Logger,
  type RequestPipeline,
  type UpstreamCall,
  type UpstreamHttp,
} from "@mcp-gateway/core";
import type { ProcessingRequest, ProcessingResponse } from "./ext-proc-messages";
import { headerMutation, immediateError, immediateReply, readHeaders } from "./mutations";
import type { RouterMetrics } from "./metrics";

/** What a {@link StreamProcessor} needs; shared by every stream of a router. */
export interface ProcessorDeps {
  pipeline: RequestPipeline;
  http: UpstreamHttp;
  metrics: RouterMetrics;
  logger: Logger;
  maxBodyBytes: () => number;
  /** DNS-rebinding protection (Host/Origin), as configured. */
  hostGuard: () => HostGuard;
  /** Bound on a replay after the upstream lost its session; below Envoy's message_timeout. */
  replayTimeoutMs: number;
}

const CONTINUE_REQUEST_HEADERS: ProcessingResponse = { request_headers: {} };
const CONTINUE_REQUEST_BODY: ProcessingResponse = { request_body: {} };
const CONTINUE_RESPONSE_HEADERS: ProcessingResponse = { response_headers: {} };

/**
 * One ext_proc stream = one HTTP request through Envoy. Holds that request's state between phases: the client's
 * headers, and the upstream call once routed (needed again when the response headers arrive).
 */
export class StreamProcessor {
  private headers: Record<string, string> = {};
  private call: UpstreamCall | undefined;
  private rewriter: ReplyRewriter | undefined;

  constructor(private readonly deps: ProcessorDeps) {}

  /** Answers one ext_proc message; never throws (failures become an ImmediateResponse). */
  async process(message: ProcessingRequest): Promise<ProcessingResponse> {
    const started = process.hrtime.bigint();
    const phase = message.request ?? "unknown";
    try {
      return await this.dispatch(message);
    } catch (error: unknown) {
      this.deps.logger.error("ext_proc phase failed", { phase, error });
      return immediateError(GatewayError.from(error));
    } finally {
      this.deps.metrics.observePhase(phase, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private dispatch(message: ProcessingRequest): Promise<ProcessingResponse> | ProcessingResponse {
    if (message.request_headers) return this.onRequestHeaders(message.request_headers);
    if (message.request_body) return this.onRequestBody(message.request_body.body ?? Buffer.alloc(0));
    if (message.response_headers) return this.onResponseHeaders(readHeaders(message.response_headers.headers?.headers));
    // Trailers and response bodies are not requested by the filter config; answer in kind so the stream stays valid.
    if (message.request_trailers) return { request_trailers: {} };
    if (message.response_trailers) return { response_trailers: {} };
    if (message.response_body)
      return this.onResponseBody(
        message.response_body.body ?? Buffer.alloc(0),
        message.response_body.end_of_stream === true,
      );
    throw new GatewayError(JsonRpcErrorCode.InternalError, "ext_proc message without a phase", { httpStatus: 500 });
  }

  /** Strips client-supplied internal headers (clearing the route Envoy cached from them) and checks the declared size. */
  onRequestHeaders(message: NonNullable<ProcessingRequest["request_headers"]>): ProcessingResponse {
    this.headers = readHeaders(message.headers?.headers);
    const denied = this.deps.hostGuard().check(this.headers);
    if (denied) {
      this.deps.metrics.decision("invalid", "forbidden");
      return immediateError(denied);
    }
    const declared = Number(this.headers["content-length"] ?? "0");
    const limit = this.deps.maxBodyBytes();
    if (declared > limit) {
      this.deps.metrics.decision("invalid", "too_large");
      return immediateError(
        new GatewayError(
          JsonRpcErrorCode.RequestTooLarge,
          `request body of ${declared} bytes exceeds the limit of ${limit} bytes`,
          { httpStatus: 413 },
        ),
      );
    }
    const spoofed = Object.keys(this.headers).filter(isInternalHeader);
    for (const name of spoofed) delete this.headers[name];
    if (message.end_of_stream) this.deps.metrics.decision("broker", "no_body");
    if (spoofed.length === 0) return CONTINUE_REQUEST_HEADERS;
    // Envoy chose a route from the client's headers before we ran; clearing the cache makes it route again without them.
    return { request_headers: { response: { header_mutation: headerMutation({}, spoofed), clear_route_cache: true } } };
  }

  /** Parses and routes the whole JSON-RPC body; a routed call gets its target, session and rewritten body. */
  async onRequestBody(body: Buffer): Promise<ProcessingResponse> {
    const outcome = await this.deps.pipeline.decide({
      method: this.headers[":method"] ?? "POST",
      headers: this.headers,
      body,
    });
    if (outcome.kind === "broker") {
      this.deps.metrics.decision("broker", "ok");
      return CONTINUE_REQUEST_BODY;
    }
    if (outcome.kind === "reject") {
      this.deps.metrics.decision("invalid", `http_${outcome.error.httpStatus}`);
      return immediateError(outcome.error);
    }
    const call = outcome.call;
    this.call = call;
    this.deps.metrics.decision(call.method, "routed");
    const response = {
      header_mutation: headerMutation(call.setHeaders, call.removeHeaders),
      body_mutation: { body: call.body },
      clear_route_cache: true,
    };
    return { request_body: { response } };
  }

  /** Swaps the upstream's session id for the gateway's; heals a lost backend session by replaying the call once. */
  async onResponseHeaders(headers: Record<string, string>): Promise<ProcessingResponse> {
    const call = this.call;
    if (!call) return CONTINUE_RESPONSE_HEADERS;
    const status = Number(headers[":status"] ?? "0");
    if ((await this.deps.pipeline.onUpstreamStatus(call, status)) === "session-lost") return this.replay(call);
    // A backend session id never reaches the client: it only ever sees its gateway session.
    const set: Record<string, string> = SESSION_HEADER in headers ? { [SESSION_HEADER]: call.gatewaySession } : {};
    this.rewriter = replyRewriter(headers["content-type"] ?? "", call);
    if (!this.rewriter) {
      const mutation = headerMutation(set);
      return { response_headers: mutation ? { response: { header_mutation: mutation } } : {} };
    }
    // The body is rewritten on its way through (see replyRewriter), so its length changes: no content-length.
    const mutation = headerMutation(set, "content-length" in headers ? ["content-length"] : []);
    return {
      response_headers: mutation ? { response: { header_mutation: mutation } } : {},
      mode_override: { response_body_mode: "STREAMED" },
    };
  }

  /** Rewrites the ids of server-to-client requests in a streamed SSE reply (events may span chunks). */
  onResponseBody(chunk: Buffer, endOfStream: boolean): ProcessingResponse {
    if (!this.rewriter) return { response_body: {} };
    const out = this.rewriter.push(chunk);
    const body = endOfStream ? Buffer.concat([out, this.rewriter.end()]) : out;
    return { response_body: { response: { body_mutation: { body } } } };
  }

  private async replay(lost: UpstreamCall): Promise<ProcessingResponse> {
    this.deps.metrics.sessionHealed(lost.server.name);
    const call = await this.deps.pipeline.renew(lost);
    const headers = forwardHeaders(this.headers, call);
    const reply = await this.deps.http.forward(call.server, headers, call.body, this.deps.replayTimeoutMs);
    const contentType = reply.headers["content-type"] ?? "application/json";
    const out: Record<string, string> = { "content-type": contentType };
    if (reply.headers[SESSION_HEADER] !== undefined) out[SESSION_HEADER] = call.gatewaySession;
    // The replayed reply is the client's reply: it gets the same rewriting as one streamed through Envoy.
    const rewriter = replyRewriter(contentType, call);
    return immediateReply(reply.status, out, rewriter ? rewriteWhole(rewriter, reply.body) : reply.body);
  }
}
