import type { NextFunction, Request, Response } from "express";
import {
  forwardHeaders,
  GatewayError,
  isRelayedResponseHeader,
  JsonRpcErrorCode,
  NO_AUDIT,
  ReplyOutcomeScanner,
  replyRewriter,
  SESSION_HEADER,
  sessionOwner,
  SlotBudget,
  takeSlots,
  type GatewayContext,
  type ReplyRewriter,
  type PipelineOutcome,
  type RequestLabelInput,
  type StreamingReply,
  type UpstreamCall,
} from "@mcp-gateway/core";
import { noteAccess } from "./access-log";
import { callerOf } from "./caller";
import { rememberEra } from "./decided-era";
import { sendError } from "./http-errors";
import { lowerHeaders } from "./request-headers";
import { relayReply } from "./reply-relay";
import { releaseOnClose } from "./response-slots";
import { noteDecision, requestSpanOf } from "./request-tracing";

const ACCESS_DECISIONS = { upstream: "routed", broker: "broker" } as const;

/** How a POST the forwarder decided ended, for `mcp_gateway_forwarded_total`. */
export type ForwardOutcome = "ok" | "healed" | "upstream_error" | "rejected";

/** What the forwarder reports (the broker's metrics). */
export interface ForwarderMetrics {
  forwarded(server: string, outcome: ForwardOutcome): void;
  /** One POST answered: its labels and its time from arrival to the end of its response. */
  requestFinished(request: RequestLabelInput, seconds: number): void;
}

/**
 * Standalone mode's stand-in for Envoy + router: decides each POST with the same core pipeline, answers rejections
 * itself, lets broker-bound messages through to the broker handler (`next()`), and forwards routed calls to their
 * upstream, streaming the reply (JSON or SSE) back with backpressure. A lost backend session (upstream 404) is healed
 * by one replay on a fresh session. Upstream failures become JSON-RPC errors; they never crash the process.
 */
export function createStandaloneForwarder(context: GatewayContext, metrics?: ForwarderMetrics) {
  const inFlight = new SlotBudget();
  return async function forwardMcpPost(request: Request, response: Response, next: NextFunction): Promise<void> {
    const timing = timeRequest(response, metrics);
    const refused = (server: string, error: GatewayError): void => {
      // An upstream that cannot be reached (502) or answer in time (504) is that server's failure, not a refusal.
      const outcome = error.httpStatus === 502 || error.httpStatus === 504 ? "upstream_error" : "rejected";
      Object.assign(timing, { server, outcome });
      metrics?.forwarded(server, outcome);
    };
    if (!admitConcurrent(context, inFlight, response)) {
      timing.outcome = "rejected";
      metrics?.forwarded("none", "rejected");
      return;
    }
    const headers = lowerHeaders(request);
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const incoming = { method: "POST", headers, body, caller: callerOf(response) };
    // The era first, as the router decides it: a refused modern request is answered here, a modern call to a 2026
    // upstream is forwarded, every other modern request goes on to the broker's handlers.
    const { era, message } = await context.pipeline.classify(incoming);
    if (message && message.kind !== "response") timing.method = message.method;
    if (era.era === "reject") {
      requestSpanOf(response)?.note({ decision: "reject", refusal: era.error.message });
      refused("none", era.error);
      return sendError(response, era.error);
    }
    const outcome =
      era.era === "modern" && message
        ? await context.pipeline.routeModern(incoming, message)
        : await context.pipeline.decide(incoming, message);
    noteOutcome(response, timing, outcome);
    if (outcome.kind === "broker") {
      timing.server = "broker";
      // The body is parsed and classified once: the modern front end after this reuses both (see decided-era.ts).
      if (message) {
        const method = message.kind === "response" ? "" : message.method;
        rememberEra(response, { era: era.era, body: message.raw, method });
      }
      return next();
    }
    if (outcome.kind === "reject") {
      refused(outcome.facts.server ?? "none", outcome.error);
      return sendError(response, outcome.error);
    }
    timing.server = outcome.call.server.name;
    if (outcome.call.method === "tools/call") timing.tool = outcome.facts.target;
    const abort = abortWhenClientGoes(response);
    const deadline = callDeadline(outcome.call, abort);
    try {
      timing.outcome = await forward(context, outcome.call, headers, response, abort.signal, metrics);
    } catch (error: unknown) {
      outcome.call.audit.finish(null);
      timing.outcome = "upstream_error";
      metrics?.forwarded(outcome.call.server.name, "upstream_error");
      if (deadline.expired() && !response.headersSent) sendError(response, deadline.error());
      else if (!abort.signal.aborted)
        sendError(response, GatewayError.from(error, outcome.call.requestId), context.logger);
    } finally {
      deadline.clear();
    }
  };
}

/**
 * Times one POST to the end of its response and reports it with the labels the forwarder fills in meanwhile; a POST
 * left to the broker without an outcome is "ok" or "error" by its HTTP status.
 */
/** Records the pipeline's decision where it is observed: latency labels, the request's span, its access-log line. */
function noteOutcome(response: Response, timing: RequestLabelInput, outcome: PipelineOutcome): void {
  if (outcome.facts.method !== undefined) timing.method = outcome.facts.method;
  noteDecision(response, outcome);
  noteAccess(response, outcome.facts, outcome.kind === "reject" ? undefined : ACCESS_DECISIONS[outcome.kind]);
}

function timeRequest(response: Response, metrics: ForwarderMetrics | undefined): RequestLabelInput {
  const timing: RequestLabelInput = { server: "none", method: undefined, outcome: "" };
  if (!metrics) return timing;
  const started = process.hrtime.bigint();
  response.once("close", () => {
    const outcome = timing.outcome || (response.statusCode < 400 ? "ok" : "error");
    metrics.requestFinished({ ...timing, outcome }, Number(process.hrtime.bigint() - started) / 1e9);
  });
  return timing;
}

/**
 * `limits.maxConcurrentCallsPerConsumer`: an authenticated consumer's POSTs in flight (slow routed calls above all)
 * take slots until their responses close, so one consumer cannot hold every pooled connection to an upstream. Taken
 * before the pipeline decides, so a refused call costs no backend session or token. False after answering 429.
 */
function admitConcurrent(context: GatewayContext, inFlight: SlotBudget, response: Response): boolean {
  const owner = sessionOwner(callerOf(response));
  if (owner === "") return true;
  const limit = context.config().limits.maxConcurrentCallsPerConsumer;
  const what = `calls in flight for consumer ${JSON.stringify(owner)}`;
  try {
    releaseOnClose(response, takeSlots(inFlight, [{ key: owner, limit, what }]));
    return true;
  } catch (error: unknown) {
    sendError(response, error);
    return false;
  }
}

async function forward(
  context: GatewayContext,
  first: UpstreamCall,
  clientHeaders: Record<string, string>,
  response: Response,
  signal: AbortSignal,
  metrics: ForwarderMetrics | undefined,
): Promise<"ok" | "healed"> {
  const { limits } = context.config();
  const open = (call: UpstreamCall): Promise<StreamingReply> =>
    context.http.open(call.server, forwardHeaders(clientHeaders, call), call.body, {
      headersTimeoutMs: limits.upstreamTimeout,
      idleTimeoutMs: limits.streamIdleTimeout,
      signal,
    });
  let call = first;
  let reply = await open(call);
  let outcome: "ok" | "healed" = "ok";
  if ((await context.pipeline.onUpstreamStatus(call, reply.status)) === "session-lost") {
    reply.body.resume();
    call = await context.pipeline.renew(call);
    reply = await open(call);
    outcome = "healed";
  }
  const refusal = context.pipeline.refusal(call, reply.status, reply.headers);
  if (refusal) {
    reply.body.resume();
    call.audit.finish(reply.status);
    throw refusal;
  }
  metrics?.forwarded(call.server.name, outcome);
  const rewriter = replyRewriter(reply.headers, call);
  relayHead(response, reply, call.gatewaySession, rewriter);
  // The audit event is recorded when the reply has ended (its latency is the whole call's, SSE included) and says
  // how the call ended, read from the upstream's reply as it streams by; a call nobody audits is not scanned.
  const scanner = call.audit === NO_AUDIT ? undefined : new ReplyOutcomeScanner(reply.headers);
  // Content capture reads what the client is sent (rewritten, redacted), never the upstream's bytes.
  const captured = requestSpanOf(response)?.clientReply(rewriter?.contentType ?? reply.headers["content-type"] ?? "");
  try {
    await relayReply(reply.body, response, rewriter, scanner && ((chunk) => scanner.push(chunk)), captured);
  } finally {
    // A reply cut short (client gone, upstream failed mid-stream) keeps its status but has no outcome.
    call.audit.finish(reply.status, response.writableFinished ? (scanner?.outcome() ?? null) : null);
  }
  return outcome;
}

function relayHead(
  response: Response,
  reply: StreamingReply,
  gatewaySession: string,
  rewriter: ReplyRewriter | undefined,
): void {
  // Only an allow-list of the upstream's headers reaches the client (see RELAYED_RESPONSE_HEADERS); the session id is
  // swapped below.
  const headers = reply.headers;
  for (const name of Object.keys(headers)) {
    if (name !== SESSION_HEADER && isRelayedResponseHeader(name, rewriter !== undefined))
      response.setHeader(name, headers[name] as string);
  }
  // Under sanitization the rewritten body says exactly what it now is (canonical content-type, see replyRewriter).
  if (rewriter?.contentType !== undefined) response.setHeader("content-type", rewriter.contentType);
  // A backend session id never reaches the client: it only ever sees its gateway session (none for a modern call).
  if (reply.headers[SESSION_HEADER] !== undefined && gatewaySession !== "")
    response.setHeader(SESSION_HEADER, gatewaySession);
  response.status(reply.status);
  // Headers go out with the first bytes of the body, in one write, when those are already here (a JSON reply, an SSE
  // reply's first event); sent alone only for a stream that has nothing yet, so the client still sees it open.
  if (reply.body.readableLength === 0) response.flushHeaders();
}

/**
 * Aborts the upstream request when the client goes away before its response has ended; never after a normal end
 * (an aborted signal costs a DOMException and wakes every listener, for nothing).
 */
export function abortWhenClientGoes(response: {
  once(event: "close", listener: () => void): unknown;
  readonly writableFinished: boolean;
}): AbortController {
  const abort = new AbortController();
  response.once("close", () => {
    if (!response.writableFinished) abort.abort();
  });
  return abort;
}

/**
 * `servers[].timeout` bounds a whole routed call, as Envoy's route timeout does in Envoy mode: past it the upstream
 * request is aborted and, if nothing was sent yet, the client gets 504.
 */
function callDeadline(
  call: UpstreamCall,
  abort: AbortController,
): { expired(): boolean; error(): GatewayError; clear(): void } {
  const timeout = call.server.timeout;
  let expired = false;
  const timer =
    timeout === undefined
      ? undefined
      : setTimeout(() => {
          expired = true;
          abort.abort();
        }, timeout);
  return {
    expired: () => expired,
    error: () =>
      new GatewayError(
        JsonRpcErrorCode.UpstreamTimeout,
        `server "${call.server.name}" did not complete the call within ${timeout ?? 0} ms`,
        { httpStatus: 504, id: call.requestId },
      ),
    clear: () => clearTimeout(timer),
  };
}
