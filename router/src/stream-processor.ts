import {
  callerBearer,
  clientAddressHeader,
  envoyClient,
  forwardHeaders,
  GatewayError,
  noEndpointError,
  isClientAssertedHeader,
  isInternalHeader,
  JsonRpcErrorCode,
  NO_AUDIT,
  nullRecord,
  ReplyOutcomeScanner,
  SESSION_HEADER,
  replyRewriter,
  unrelayedResponseHeaders,
  rewriteWhole,
  headerSizeError,
  type Caller,
  type AccessPolicy,
  type Endpoint,
  type CorsPolicy,
  type ReplyRewriter,
  type HostGuard,
  type SecurityGate,
  type Logger,
  type PipelineOutcome,
  type RequestPipeline,
  type RequestLabelInput,
  type UpstreamCall,
  type UpstreamHttp,
  type GatewayTracing,
} from "@mcp-gateway/core";
import type { ProcessingRequest, ProcessingResponse } from "./ext-proc-messages";
import { headerMutation, immediateError, immediateReply, readHeaders } from "./mutations";
import type { RouterMetrics } from "./metrics";
import { AccessMetadata } from "./access-metadata";
import { bodySizeError, isPublicPath, pathError } from "./request-checks";
import { isPassThroughPath, passThroughAnswer, unchangedAnswer } from "./pass-through";
import { StreamTrace } from "./stream-tracing";

const FORWARDED_PROTO = "x-forwarded-proto";

/** What a {@link StreamProcessor} needs; shared by every stream of a router. */
export interface ProcessorDeps {
  pipeline: RequestPipeline;
  http: UpstreamHttp;
  metrics: RouterMetrics;
  logger: Logger;
  maxBodyBytes: () => number;
  /** DNS-rebinding protection (Host/Origin), as configured. */
  hostGuard: () => HostGuard;
  /** CORS headers for allowed browser origins, as configured. */
  cors: () => CorsPolicy;
  /** Authentication, policy, rate limits, audit. */
  security: SecurityGate;
  /** The audit log's session hash of a client's session id (`security.sessionDigest`, cached; see session-digests). */
  sessionDigest?: ((id: string) => string | undefined) | undefined;
  /** Whether the OAuth protected resource metadata is advertised (else its well-known path gets 404 here). */
  advertisesMetadata: () => boolean;
  /** Whether the web console is on (then /ui and /ui/… pass through to the broker, as its Envoy routes do). */
  consoleEnabled: () => boolean;
  /** The MCP endpoint a request target names exactly, if `policy` can use anything there (see core endpointFor). */
  endpoint: (path: string, policy: AccessPolicy) => Endpoint | undefined;
  /** `limits.maxHeaderBytes`: larger request headers get 431. */
  maxHeaderBytes: () => number;
  /** Bound on a replay after the upstream lost its session; below Envoy's message_timeout. */
  replayTimeoutMs: number;
  /** OpenTelemetry tracing; undefined when off (then a stream creates no span and no context). */
  tracing?: GatewayTracing | undefined;
}

/** Envoy's `source.address` attribute (`host:port`), sent with the request headers as the filter config asks. */
function sourceAddressOf(message: ProcessingRequest): string | undefined {
  return message.attributes?.["envoy.filters.http.ext_proc"]?.fields?.["source.address"]?.stringValue;
}

const CONTINUE_REQUEST_HEADERS: ProcessingResponse = { request_headers: {} };
const CONTINUE_REQUEST_BODY: ProcessingResponse = { request_body: {} };
const CONTINUE_RESPONSE_HEADERS: ProcessingResponse = { response_headers: {} };

/**
 * One ext_proc stream = one HTTP request through Envoy. Holds that request's state between phases: the client's
 * headers, and the upstream call once routed (needed again when the response headers arrive).
 */
export class StreamProcessor {
  private headers: Record<string, string> = nullRecord();
  private call: UpstreamCall | undefined;
  private rewriter: ReplyRewriter | undefined;
  private caller: Caller | undefined;
  /** The routed call's reply as the audit log reads it: its status, and its outcome once the body has streamed by. */
  private audited: { status: number; scanner: ReplyOutcomeScanner } | undefined;
  /** CORS headers this request's responses carry (its Origin is allowed). */
  private corsHeaders: Record<string, string> = nullRecord();
  /** This request's access-log fields, sent to Envoy as dynamic metadata with every request-phase answer. */
  private readonly access: AccessMetadata;
  private readonly started = process.hrtime.bigint();
  /** The response's HTTP status (0 until response headers arrive), the refusal, and whether a replay healed it. */
  private status = 0;
  private refusal: GatewayError | undefined;
  private healed = false;
  /** A non-MCP broker path (see isPassThroughPath): the router let it by at its headers and sees nothing more. */
  private passedThrough = false;

  /** This request's spans, when tracing is on. */
  private readonly trace: StreamTrace | undefined;

  /** `traceCarrier`: the stream's W3C trace fields (its gRPC metadata), read only when tracing is on. */
  constructor(
    private readonly deps: ProcessorDeps,
    traceCarrier: Readonly<Record<string, string>> = {},
  ) {
    this.access = new AccessMetadata(deps.sessionDigest ?? ((id) => deps.security.sessionDigest(id)));
    this.trace = deps.tracing ? new StreamTrace(deps.tracing, traceCarrier) : undefined;
  }

  /** Answers one ext_proc message; never throws (failures become an ImmediateResponse). */
  async process(message: ProcessingRequest): Promise<ProcessingResponse> {
    const started = process.hrtime.bigint();
    const phase = message.request ?? "unknown";
    try {
      return this.withMetadata(await this.dispatch(message));
    } catch (error: unknown) {
      const failure = GatewayError.from(error);
      this.deps.logger.error("ext_proc phase failed", { phase, error, ref: failure.unexpectedRef });
      this.access.decide("refused", failure);
      return this.withMetadata(immediateError(failure));
    } finally {
      this.deps.metrics.observePhase(phase, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Request-phase answers and immediate responses carry the access-log fields learnt since the previous answer (Envoy
   * merges them into the namespace); response-phase answers add nothing new, so they stay as small as before.
   */
  private withMetadata(answer: ProcessingResponse): ProcessingResponse {
    if (!("request_headers" in answer || "request_body" in answer || "immediate_response" in answer)) return answer;
    const changes = this.access.changes();
    return changes === undefined ? answer : { ...answer, dynamic_metadata: changes };
  }

  private dispatch(message: ProcessingRequest): Promise<ProcessingResponse> | ProcessingResponse {
    if (this.passedThrough) return unchangedAnswer(message);
    if (message.request_headers) return this.onRequestHeaders(message.request_headers, sourceAddressOf(message));
    if (message.request_body) return this.onRequestBody(message.request_body.body ?? Buffer.alloc(0));
    if (message.response_headers)
      return this.onResponseHeaders(
        readHeaders(message.response_headers.headers?.headers),
        message.response_headers.end_of_stream === true,
      );
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

  /**
   * Checks what headers alone decide (Host/Origin, header and declared body size, CORS preflight), strips
   * client-supplied internal headers (clearing the route Envoy cached from them), authenticates, and passes the
   * identity to the broker in the signed header.
   */
  async onRequestHeaders(
    message: NonNullable<ProcessingRequest["request_headers"]>,
    sourceAddress?: string,
  ): Promise<ProcessingResponse> {
    this.headers = readHeaders(message.headers?.headers);
    if (isPassThroughPath(this.headers[":path"] ?? "", this.deps.consoleEnabled()))
      return this.passThrough(sourceAddress);
    this.access.request(this.headers);
    this.trace?.begin(this.headers, message.end_of_stream === true);
    const early = this.checkHeaders();
    if (early) return early;
    const spoofed = Object.keys(this.headers).filter(isInternalHeader);
    for (const name of spoofed) delete this.headers[name];
    let set: Record<string, string> = nullRecord();
    if (!isPublicPath(this.headers[":path"] ?? "")) {
      try {
        const client = envoyClient(sourceAddress, this.headers);
        this.caller = await this.deps.security.authenticate(this.headers[":method"] ?? "", this.headers, client);
      } catch (error: unknown) {
        this.deps.metrics.decision("invalid", "unauthenticated");
        return this.refused(GatewayError.from(error));
      }
      // Only now: a path that is no endpoint, or one the caller's policy gives nothing at, gets one answer.
      const endpoint = this.deps.endpoint(this.headers[":path"] ?? "", this.caller.policy);
      if (endpoint === undefined) {
        this.deps.metrics.decision("invalid", "not_found");
        return this.refused(noEndpointError(this.headers[":path"] ?? ""));
      }
      if (endpoint.kind !== "aggregate") this.caller = { ...this.caller, endpoint };
      this.access.consumer(this.caller.identity.consumer);
      this.trace?.consumer(this.caller.identity.consumer);
      // The bearer token the broker may exchange or forward for this caller: bound into the signed identity.
      const identity = this.deps.security.identityHeader(this.caller, callerBearer(this.caller, this.headers));
      set = { ...identity, ...clientAddressHeader(this.caller) };
    }
    if (message.end_of_stream) {
      this.deps.metrics.decision("broker", "no_body");
      this.access.decide("broker");
    }
    const mutation = headerMutation(set, spoofed);
    if (!mutation) return CONTINUE_REQUEST_HEADERS;
    // Envoy chose a route from the client's headers before we ran; clearing the cache makes it route again without them.
    const clear = spoofed.length > 0 ? { clear_route_cache: true } : {};
    return { request_headers: { response: { header_mutation: mutation, ...clear } } };
  }

  /**
   * A console or LLM path under a listener-wide ext_proc (Istio): as the rendered routes without ext_proc, the broker
   * checks and authenticates it itself; the router only strips the gateway's headers and tells the client's address.
   */
  private passThrough(sourceAddress: string | undefined): ProcessingResponse {
    this.passedThrough = true;
    this.deps.metrics.decision("broker", "pass_through");
    this.access.decide("passthrough");
    return passThroughAnswer(this.headers, sourceAddress);
  }

  /** The answer when the headers alone settle the request (refused, or a CORS preflight); else undefined. */
  private checkHeaders(): ProcessingResponse | undefined {
    const denied =
      this.deps.hostGuard().check(this.headers) ??
      pathError(this.headers[":path"] ?? "", this.deps.advertisesMetadata());
    if (denied) {
      this.deps.metrics.decision("invalid", denied.httpStatus === 404 ? "not_found" : "forbidden");
      this.access.decide("refused", denied);
      return immediateError(denied);
    }
    this.corsHeaders = this.deps.cors().responseHeaders(this.headers);
    const preflight = this.deps.cors().preflight(this.headers[":method"] ?? "", this.headers);
    if (preflight) {
      this.access.decide("preflight");
      return immediateReply(204, preflight, Buffer.alloc(0));
    }
    const tooLarge =
      headerSizeError(this.headers, this.deps.maxHeaderBytes()) ??
      bodySizeError(this.headers, this.deps.maxBodyBytes());
    if (tooLarge) {
      this.deps.metrics.decision("invalid", tooLarge.httpStatus === 431 ? "headers_too_large" : "too_large");
      return this.refused(tooLarge);
    }
    return undefined;
  }

  /** Refuses the request with `error` (JSON-RPC body, CORS headers) and notes the refusal for the access log. */
  private refused(error: GatewayError): ProcessingResponse {
    this.refusal = error;
    this.access.decide("refused", error);
    this.trace?.refused(error);
    return immediateError(error, this.corsHeaders);
  }

  /**
   * Ends the stream's business: an allowed call whose reply did not end while the router watched is audited with the
   * status it got (null: no response headers) and no outcome.
   */
  close(): void {
    this.call?.audit.finish(this.audited?.status ?? null);
    // A passed-through request is no MCP request: its latency is the broker's to measure.
    if (!this.passedThrough)
      this.deps.metrics.requestFinished(this.requestLabels(), Number(process.hrtime.bigint() - this.started) / 1e9);
    this.trace?.end();
  }

  /** This request's latency labels: its server ("broker", "none" when refused unrouted), method and outcome. */
  private requestLabels(): RequestLabelInput {
    const method = this.access.get("method");
    const decision = this.access.get("decision");
    const named = this.access.get("server") ?? "none";
    const server = decision === "broker" ? "broker" : decision === "refused" || decision === "routed" ? named : "none";
    const tool = method === "tools/call" ? this.access.get("target") : undefined;
    return { server, method, outcome: this.outcome(), tool };
  }

  private outcome(): string {
    // An upstream that cannot be reached (502) or answer in time (504) is that server's failure, not a refusal.
    if (this.refusal)
      return this.refusal.httpStatus === 502 || this.refusal.httpStatus === 504 ? "upstream_error" : "rejected";
    if (this.status === 0) return "cancelled";
    if (this.status >= 400) return "error";
    return this.healed ? "healed" : "ok";
  }

  /** Parses and routes the whole JSON-RPC body; a routed call gets its target, session and rewritten body. */
  async onRequestBody(body: Buffer): Promise<ProcessingResponse> {
    const method = this.headers[":method"] ?? "POST";
    // Only a POST carries a JSON-RPC message (Streamable HTTP); a body on GET or DELETE is refused as standalone does.
    if (method !== "POST") {
      this.deps.metrics.decision("invalid", "method_not_allowed");
      const message = `${method} /mcp takes no JSON-RPC body; send messages with POST`;
      const error = new GatewayError(JsonRpcErrorCode.InvalidRequest, message, {
        httpStatus: 405,
        headers: { allow: "GET, POST, DELETE" },
      });
      return this.refused(error);
    }
    const request = { method, headers: this.headers, body, caller: this.caller };
    // The era first (the SDK's ladder): a modern request is refused, routed straight to a 2026 upstream or left to
    // the broker's SDK front end; a legacy one takes today's path unchanged.
    const { era, message } = await this.deps.pipeline.classify(request);
    this.trace?.start(message?.raw);
    if (era.era === "reject") {
      this.deps.metrics.decision("invalid", `http_${era.error.httpStatus}`);
      return this.refused(era.error);
    }
    const decide = (): Promise<PipelineOutcome> =>
      era.era === "modern" && message
        ? this.deps.pipeline.routeModern(request, message)
        : this.deps.pipeline.decide(request, message);
    const outcome = await (this.trace ? this.trace.run(decide) : decide());
    this.access.facts(outcome.facts);
    this.trace?.decided(outcome);
    if (outcome.kind === "broker") {
      this.deps.metrics.decision("broker", "ok");
      this.access.decide("broker");
      return CONTINUE_REQUEST_BODY;
    }
    if (outcome.kind === "reject") {
      this.deps.metrics.decision("invalid", `http_${outcome.error.httpStatus}`);
      return this.refused(outcome.error);
    }
    const call = outcome.call;
    this.call = call;
    this.deps.metrics.decision(call.method, "routed");
    this.access.decide("routed");
    // Client-asserted addresses and event ids never reach an upstream (Envoy's own x-forwarded-for goes with them).
    // x-forwarded-proto stays, reduced to http or https: Envoy matches no route for a request without it (a 404 the
    // router would then heal by replaying the call itself, past Envoy's route timeout and circuit breakers), and with
    // use_remote_address Envoy has already set it to the scheme it saw.
    const remove = [
      ...call.removeHeaders,
      ...Object.keys(this.headers).filter((name) => name !== FORWARDED_PROTO && isClientAssertedHeader(name)),
    ];
    const scheme = /^\s*https\s*(,|$)/i.test(this.headers[FORWARDED_PROTO] ?? "") ? "https" : "http";
    const { body: sent, setHeaders } = this.trace ? this.trace.upstream(call) : call;
    const response = {
      header_mutation: headerMutation({ ...setHeaders, [FORWARDED_PROTO]: scheme }, remove),
      body_mutation: { body: sent },
      clear_route_cache: true,
    };
    return { request_body: { response } };
  }

  /**
   * Swaps the upstream's session id for the gateway's, adds CORS headers, audits the call's status and heals a lost
   * backend session by replaying the call once. Replies that need rewriting (ids, URIs, redaction) are streamed
   * through the router.
   */
  async onResponseHeaders(headers: Record<string, string>, endOfStream = false): Promise<ProcessingResponse> {
    this.status = Number(headers[":status"] ?? "0");
    const call = this.call;
    if (!call) {
      this.trace?.responded(Number(headers[":status"] ?? "0"));
      const mutation = headerMutation(this.corsHeaders);
      return mutation ? { response_headers: { response: { header_mutation: mutation } } } : CONTINUE_RESPONSE_HEADERS;
    }
    const status = Number(headers[":status"] ?? "0");
    this.trace?.responded(status);
    if ((await this.deps.pipeline.onUpstreamStatus(call, status)) === "session-lost") return this.replay(call);
    const refusal = this.deps.pipeline.refusal(call, status, headers);
    if (refusal) {
      call.audit.finish(status);
      return immediateError(refusal, this.corsHeaders);
    }
    // An audited call's body is streamed through the router too (unchanged unless rewritten): its event is recorded
    // when the reply ends, with the latency of the whole reply and the outcome read from it.
    const audited = call.audit !== NO_AUDIT && !endOfStream;
    if (audited) this.audited = { status, scanner: new ReplyOutcomeScanner(headers) };
    else call.audit.finish(status);
    this.rewriter = replyRewriter(headers, call);
    // A traced (recorded) call's body streams through the router too, for its outcome (and content) on the spans.
    const clientType = this.rewriter?.contentType ?? headers["content-type"] ?? "";
    const traced = !endOfStream && this.trace?.readsReply(headers, clientType) === true;
    // A backend session id never reaches the client: it only ever sees its gateway session.
    const set = nullRecord(Object.entries(this.corsHeaders));
    // A modern call has no gateway session (""): an upstream's session header is then dropped, not relayed.
    if (Object.hasOwn(headers, SESSION_HEADER) && call.gatewaySession !== "") set[SESSION_HEADER] = call.gatewaySession;
    // Under sanitization a rewritten body says exactly what it now is (canonical content-type, see replyRewriter).
    if (this.rewriter?.contentType !== undefined) set["content-type"] = this.rewriter.contentType;
    // Only an allow-list of the upstream's headers reaches the client (see RELAYED_RESPONSE_HEADERS).
    const remove = unrelayedResponseHeaders(headers, set, this.rewriter !== undefined);
    if (Object.hasOwn(headers, SESSION_HEADER) && call.gatewaySession === "") remove.push(SESSION_HEADER);
    const mutation = headerMutation(set, remove);
    if (!this.rewriter && !audited && !traced)
      return { response_headers: mutation ? { response: { header_mutation: mutation } } : {} };
    return {
      response_headers: mutation ? { response: { header_mutation: mutation } } : {},
      mode_override: { response_body_mode: "STREAMED" },
    };
  }

  /** Rewrites the ids of server-to-client requests in a streamed SSE reply (events may span chunks); audits its end. */
  onResponseBody(chunk: Buffer, endOfStream: boolean): ProcessingResponse {
    this.trace?.replyChunk(chunk, endOfStream);
    if (this.audited) {
      this.audited.scanner.push(chunk);
      if (endOfStream) this.call?.audit.finish(this.audited.status, this.audited.scanner.outcome());
    }
    if (!this.rewriter) {
      this.trace?.sentChunk(chunk, endOfStream);
      return { response_body: {} };
    }
    const out = this.rewriter.push(chunk);
    const body = endOfStream ? Buffer.concat([out, this.rewriter.end()]) : out;
    this.trace?.sentChunk(body, endOfStream);
    return { response_body: { response: { body_mutation: { body } } } };
  }

  private async replay(lost: UpstreamCall): Promise<ProcessingResponse> {
    this.deps.metrics.sessionHealed(lost.server.name);
    const call = await this.deps.pipeline.renew(lost);
    const headers = forwardHeaders(this.headers, call);
    const reply = await this.deps.http.forward(call.server, headers, call.body, this.deps.replayTimeoutMs);
    const scanner = new ReplyOutcomeScanner(reply.headers);
    scanner.push(reply.body);
    call.audit.finish(reply.status, scanner.outcome());
    this.status = reply.status;
    this.healed = true;
    // The replayed reply is the client's reply: it gets the same rewriting as one streamed through Envoy.
    const rewriter = replyRewriter(reply.headers, call);
    const contentType = rewriter?.contentType ?? reply.headers["content-type"] ?? "application/json";
    const out = nullRecord([...Object.entries(this.corsHeaders), ["content-type", contentType]]);
    if (Object.hasOwn(reply.headers, SESSION_HEADER)) out[SESSION_HEADER] = call.gatewaySession;
    const body = rewriter ? rewriteWhole(rewriter, reply.body) : reply.body;
    this.trace?.sentWhole(contentType, body);
    return immediateReply(reply.status, out, body);
  }
}
