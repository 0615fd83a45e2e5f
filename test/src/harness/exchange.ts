import type * as http from "node:http";
import type * as grpc from "@grpc/grpc-js";
import { applyModeOverride, type ProcessingModes } from "./ext-proc-config";
import type { CommonResponse, Phase, ProcessingResponse } from "./ext-proc-messages";
import type { HarnessRecord } from "./harness-record";
import { hasRequestBody, requestHeaderMap, responseHasNoBody, responseHeaderMap } from "./downstream";
import { bytesOf } from "./ext-proc-messages";
import { ExtProcFailure, ExtProcStream } from "./ext-proc-stream";
import type { EnvoyConfig } from "./envoy-config";
import { streamResponseBody } from "./response-body";
import { HeaderMap } from "./header-map";
import { applyHeaderMutation } from "./header-mutation";
import { immediateReply, localReply, type LocalReply } from "./local-reply";
import { readBody, type RequestBody } from "./request-body";
import type { RouteEntry } from "./route-table";
import { connectFailureReply, sendUpstream, type UpstreamAgents } from "./upstream";

/** Everything an exchange shares with its harness. */
export interface ExchangeDeps {
  config: EnvoyConfig;
  client: grpc.Client;
  agents: UpstreamAgents;
  streams: Set<ExtProcStream>;
  record: HarnessRecord;
}

/** What the upstream (or the router, locally) answered, before ext_proc's response phase. */
type UpstreamResult = { kind: "upstream"; response: http.IncomingMessage } | { kind: "local"; reply: LocalReply };

/**
 * One HTTP request through the emulated Envoy: ext_proc request phases, routing, the upstream call, ext_proc's
 * response phase, then the response to the client. One method per phase; the first local reply ends the exchange.
 */
export class Exchange {
  private readonly headers: HeaderMap;
  private readonly hasBody: boolean;
  private readonly body: Promise<RequestBody>;
  private readonly stream: ExtProcStream;
  private readonly cachedRoute: RouteEntry | undefined;
  private modes: ProcessingModes;
  private routeCleared = false;
  private replacedBody: Buffer | undefined;
  private upstreamRequest: http.ClientRequest | undefined;
  private upstreamResponse: http.IncomingMessage | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private finished = false;

  constructor(
    private readonly deps: ExchangeDeps,
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
  ) {
    this.headers = requestHeaderMap(req);
    this.hasBody = hasRequestBody(req);
    this.body = readBody(req, deps.config.bufferLimitBytes);
    // Envoy picks (and caches) the route from the original headers before any filter runs.
    this.cachedRoute = deps.config.routes.match(this.headers);
    this.modes = { ...deps.config.extProc.processingMode };
    const settings = deps.config.extProc;
    this.stream = new ExtProcStream({
      client: deps.client,
      messageTimeoutMs: settings.messageTimeoutMs,
      maxMessageTimeoutMs: settings.maxMessageTimeoutMs,
      onIdleFailure: (failure) => this.failAsync(failure),
      onClosed: () => deps.streams.delete(this.stream),
    });
    deps.streams.add(this.stream);
    res.once("close", () => this.cleanUp());
  }

  /** Runs the exchange to its end; never rejects. */
  async run(): Promise<void> {
    try {
      const reply = (await this.requestHeadersPhase()) ?? (await this.requestBodyPhase());
      if (this.finished) return;
      if (reply && !reply.viaProcessor) return this.sendLocal(reply);
      await this.respond(reply ? { kind: "local", reply } : await this.routeAndForward());
    } catch (error: unknown) {
      const failure =
        error instanceof ExtProcFailure ? error : new ExtProcFailure(500, `harness_error{${String(error)}}`);
      this.failAsync(failure);
    }
  }

  private async requestHeadersPhase(): Promise<LocalReply | undefined> {
    const message = { request_headers: { headers: this.headers.toProto(), end_of_stream: !this.hasBody } };
    const answer = await this.stream.send("request_headers", message);
    if (!answer || this.finished) return undefined;
    this.noteModeOverride("request_headers", answer);
    if (answer.immediate_response) return immediateReply(answer.immediate_response, this.rules());
    const common = answer.request_headers?.response ?? {};
    const replacing = common.status === "CONTINUE_AND_REPLACE";
    this.applyHeaderAnswer(common, this.headers, replacing);
    if (replacing) {
      // The processor supplies the whole request: no body message, its body (if any) replaces the client's.
      this.modes = { ...this.modes, requestBody: "NONE" };
      if (common.body_mutation) {
        this.headers.remove("content-length");
        this.replacedBody = common.body_mutation.clear_body ? Buffer.alloc(0) : bytesOf(common.body_mutation.body);
      }
    }
    return undefined;
  }

  private async requestBodyPhase(): Promise<LocalReply | undefined> {
    if (!this.hasBody || this.modes.requestBody !== "BUFFERED" || this.stream.isComplete) return undefined;
    const body = await this.body;
    if (this.finished) return undefined;
    if (body.tooLarge) return localReply(413, "request_payload_too_large", "Payload Too Large", true);
    const answer = await this.stream.send("request_body", { request_body: { body: body.data, end_of_stream: true } });
    if (!answer || this.finished) return undefined;
    if (answer.immediate_response) return immediateReply(answer.immediate_response, this.rules());
    const common = answer.request_body?.response ?? {};
    if (common.header_mutation) this.applyHeaderMutationOrFail(common, this.headers);
    if (common.body_mutation) {
      const mutated = common.body_mutation.clear_body ? Buffer.alloc(0) : bytesOf(common.body_mutation.body);
      const contentLength = this.headers.get("content-length");
      if (contentLength !== undefined && /^\d+$/.test(contentLength) && Number(contentLength) !== mutated.length) {
        throw new ExtProcFailure(500, "mismatch between content length and the length of the mutated body");
      }
      this.replacedBody = mutated;
    }
    this.clearRouteCache(common);
    return undefined;
  }

  private async routeAndForward(): Promise<UpstreamResult> {
    const route = this.routeCleared ? this.deps.config.routes.match(this.headers) : this.cachedRoute;
    if (!route) return { kind: "local", reply: localReply(404, "route_not_found", "", true) };
    const cluster = this.deps.config.clusters.get(route.cluster);
    if (!cluster) return { kind: "local", reply: localReply(503, "cluster_not_found", "", true) };
    const body = this.replacedBody ?? (this.hasBody ? (await this.body).data : undefined);
    if (this.finished) return { kind: "local", reply: localReply(503, "downstream_gone") };
    this.deps.record.lastRoutes.push({ cluster: route.cluster, path: this.headers.get(":path") ?? "/" });
    const call = sendUpstream(this.deps.agents, cluster, route, this.headers, body);
    this.upstreamRequest = call.request;
    const timedOut = new Promise<UpstreamResult>((resolve) => {
      if (route.timeoutMs <= 0) return;
      this.routeTimer = setTimeout(() => {
        if (this.upstreamResponse) return this.abortMidResponse();
        call.request.destroy();
        resolve({
          kind: "local",
          reply: localReply(504, "upstream_response_timeout", "upstream request timeout", true),
        });
      }, route.timeoutMs);
    });
    const answered = call.response.then(
      (response): UpstreamResult => ({ kind: "upstream", response }),
      (error: unknown): UpstreamResult => ({ kind: "local", reply: connectFailureReply(error) }),
    );
    const result = await Promise.race([answered, timedOut]);
    if (result.kind === "upstream") this.upstreamResponse = result.response;
    return result;
  }

  private async respond(result: UpstreamResult): Promise<void> {
    if (this.finished) return this.discardUpstream();
    const reply = result.kind === "local" ? result.reply : undefined;
    const headers = result.kind === "local" ? result.reply.headers : responseHeaderMap(result.response);
    const endOfStream =
      result.kind === "local" ? result.reply.body.length === 0 : responseHasNoBody(this.req.method, result.response);
    const override = await this.responseHeadersPhase(headers, endOfStream);
    if (this.finished) return this.discardUpstream();
    const processBody = !reply && !override && !endOfStream && this.modes.responseBody === "STREAMED";
    if (!processBody) this.stream.finish();
    if (override) {
      this.discardUpstream();
      return this.sendLocal(override);
    }
    const status = Number(headers.get(":status") ?? reply?.status ?? 200);
    if (reply) return this.sendLocal({ ...reply, status, headers });
    if (processBody) return this.streamUpstreamProcessed(status, headers);
    this.streamUpstream(status, headers);
  }

  /** Sends response_headers and applies the answer to `headers`; returns an immediate response if one came. */
  private async responseHeadersPhase(headers: HeaderMap, endOfStream: boolean): Promise<LocalReply | undefined> {
    if (this.modes.responseHeaders !== "SEND" || this.stream.isComplete) return undefined;
    const message = { response_headers: { headers: headers.toProto(), end_of_stream: endOfStream } };
    const answer = await this.stream.send("response_headers", message);
    if (!answer || this.finished) return undefined;
    this.noteModeOverride("response_headers", answer);
    if (answer.immediate_response) return immediateReply(answer.immediate_response, this.rules());
    const common = answer.response_headers?.response ?? {};
    if (common.header_mutation) this.applyHeaderMutationOrFail(common, headers);
    return undefined;
  }

  /** Streams the upstream body to the client chunk by chunk (response body mode NONE: nothing is buffered). */
  private streamUpstream(status: number, headers: HeaderMap): void {
    const upstream = this.upstreamResponse;
    if (!upstream) return;
    this.res.writeHead(status, headers.toNode());
    this.res.flushHeaders();
    upstream.pipe(this.res, { end: false });
    upstream.once("end", () => {
      clearTimeout(this.routeTimer);
      this.finished = true;
      this.res.end();
    });
    upstream.once("error", () => this.abortMidResponse());
    upstream.once("aborted", () => this.abortMidResponse());
  }

  /** STREAMED response body: each chunk goes through the processor; its length may change, so no content-length. */
  private async streamUpstreamProcessed(status: number, headers: HeaderMap): Promise<void> {
    const upstream = this.upstreamResponse;
    if (!upstream) return;
    headers.remove("content-length");
    this.res.writeHead(status, headers.toNode());
    this.res.flushHeaders();
    try {
      await streamResponseBody(upstream, this.res, this.stream);
      clearTimeout(this.routeTimer);
      this.finished = true;
    } catch {
      this.abortMidResponse();
    }
  }

  private applyHeaderAnswer(common: CommonResponse, headers: HeaderMap, replacing: boolean): void {
    if (common.header_mutation) this.applyHeaderMutationOrFail(common, headers, replacing);
    this.clearRouteCache(common);
  }

  private applyHeaderMutationOrFail(common: CommonResponse, headers: HeaderMap, replacing = false): void {
    const error = applyHeaderMutation(headers, common.header_mutation ?? {}, this.rules(), replacing);
    if (error) throw new ExtProcFailure(500, error);
  }

  /** Envoy clears the route cache only when the same answer carries a header mutation (route_cache_action DEFAULT). */
  private clearRouteCache(common: CommonResponse): void {
    if (!common.header_mutation) return;
    const action = this.deps.config.extProc.routeCacheAction;
    if (action === "CLEAR" || (action === "DEFAULT" && common.clear_route_cache === true)) this.routeCleared = true;
  }

  private noteModeOverride(phase: Phase, answer: ProcessingResponse): void {
    const modeOverride = answer.mode_override;
    if (!modeOverride) return;
    const applied = this.deps.config.extProc.allowModeOverride;
    this.deps.record.modeOverrides.push({ phase, modeOverride, applied });
    if (!applied) return;
    const next = applyModeOverride(this.modes, modeOverride);
    if (typeof next === "string") throw new ExtProcFailure(500, `harness_unsupported_mode_override{${next}}`);
    this.modes = next;
  }

  private rules() {
    return this.deps.config.extProc.mutationRules;
  }

  private sendLocal(reply: LocalReply): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.finish();
    this.deps.record.localReplies.push({ status: reply.status, details: reply.details });
    if (this.res.headersSent) return void this.res.destroy();
    this.res.writeHead(reply.status, reply.headers.toNode());
    this.res.end(reply.body);
  }

  /** A failure outside a send/answer turn (spurious answer, gRPC error) or thrown by a phase: fail closed. */
  private failAsync(failure: ExtProcFailure): void {
    if (this.finished) return;
    this.discardUpstream();
    if (this.res.headersSent) return this.abortMidResponse();
    this.sendLocal(localReply(failure.status, failure.details));
  }

  private abortMidResponse(): void {
    this.finished = true;
    this.discardUpstream();
    this.res.destroy();
  }

  private discardUpstream(): void {
    clearTimeout(this.routeTimer);
    this.upstreamResponse?.destroy();
    this.upstreamRequest?.destroy();
  }

  private cleanUp(): void {
    if (!this.res.writableFinished) this.finished = true;
    if (!this.stream.isComplete) this.stream.cancel();
    this.discardUpstream();
  }
}
