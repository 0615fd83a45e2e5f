import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import {
  admissionOf,
  callModernUpstream,
  consumerAuth,
  decodeServerRequestId,
  encodeServerRequestId,
  GatewayError,
  isRoutedMethod,
  JsonRpcErrorCode,
  parseJsonRpc,
  replyRewriter,
  resultOutcome,
  rewriteWhole,
  route,
  servedAt,
  withConsumerAuth,
  SESSION_HEADER,
  sessionKey,
  type AskClient,
  type BridgedCall,
  type GatewayContext,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "@mcp-gateway/core";
import { callerOf, callerToken } from "../caller";
import { sendError } from "../http-errors";
import type { NotificationHub } from "../notification-hub";
import { lowerHeaders } from "../request-headers";
import { requestSpanOf } from "../request-tracing";
import { relayedRequestId, replicaOfRelayedId } from "../replicas/relayed-ids";
import { callNotifications } from "./call-notifications";
import { PendingAnswers, type ClientAnswer } from "./pending-answers";
import { LegacyResourceSubscriptions } from "./resource-subscriptions";

/** The gateway's client identity towards upstreams (as the upstream manager's). */
const CLIENT_INFO = { name: "mcp-gateway", version: "0.1.0" };

/** One SSE event carrying a JSON-RPC message (JSON.stringify never writes a raw newline). */
const event = (message: unknown): string => `event: message\ndata: ${JSON.stringify(message)}\n\n`;

function answerOf(message: JsonRpcResponse): ClientAnswer {
  const raw = message.raw;
  if (raw["result"] !== null && typeof raw["result"] === "object") return { result: raw["result"] as never };
  const error = raw["error"] as { code?: unknown; message?: unknown } | undefined;
  return {
    error: {
      code: typeof error?.code === "number" ? error.code : -32603,
      message: typeof error?.message === "string" ? error.message : "the client failed the request",
    },
  };
}

/** The broker's bridge for legacy clients and 2026 upstreams: its POST and DELETE middleware, and its shutdown. */
export interface LegacyBridge {
  /** POST /mcp: bridges routed requests for 2026 upstreams (and answers to relayed requests); the rest passes on. */
  post(request: Request, response: Response, next: NextFunction): Promise<void>;
  /** DELETE /mcp: once the session is ended (200), closes its resource subscription streams. */
  onDelete(request: Request, response: Response, next: NextFunction): void;
  /** Closes every subscription stream (shutdown). */
  close(): void;
}

type Decision = Extract<ReturnType<typeof route>, { kind: "upstream" }>;

interface Bridging {
  context: GatewayContext;
  pending: PendingAnswers;
  subscriptions: LegacyResourceSubscriptions;
  /** This process's replica id, named in the ids of the requests it relays (see broker/src/replicas). */
  replica: string | undefined;
}

/**
 * The broker's bridge for legacy (2025, session) clients calling a 2026 upstream, in both modes (the router and the
 * standalone forwarder send such calls, and the client's answers to relayed requests, to the broker). The call goes
 * out with the SDK v2 client; each request an `input_required` result embeds is relayed to the client as an ordinary
 * server-to-client request on the call's SSE stream (id `mcpgw:<server>:<uuid>`), the client's answer (a POSTed
 * response on the same gateway session) goes back into the SDK's retry, and the final result ends the stream. Progress
 * and log messages of the call come back on that stream; `resources/subscribe`/`unsubscribe` become a listen stream
 * (see resource-subscriptions.ts) whose updates reach the session's GET stream through `hub`.
 * Every other request passes to the next handler.
 */
export function createLegacyBridge(context: GatewayContext, hub?: NotificationHub, replica?: string): LegacyBridge {
  const deliver = (session: string, message: Record<string, unknown>): void => {
    hub?.sendTo(session, Buffer.from(event(message)));
  };
  const state: Bridging = {
    context,
    pending: new PendingAnswers(),
    subscriptions: new LegacyResourceSubscriptions(context, deliver),
    replica,
  };
  // The subscription streams feed the hub's GET streams: they close with them (broker shutdown).
  hub?.whenClosed(() => state.subscriptions.close());
  return {
    post: (request, response, next) => handlePost(state, request, response, next),
    onDelete(request, response, next) {
      const session = lowerHeaders(request)[SESSION_HEADER];
      // 200 only after the DELETE handler verified the session for this caller and ended it.
      response.once("finish", () => {
        if (session !== undefined && response.statusCode === 200) state.subscriptions.closeSession(session);
      });
      next();
    },
    close: () => state.subscriptions.close(),
  };
}

async function handlePost(state: Bridging, request: Request, response: Response, next: NextFunction): Promise<void> {
  const { context, pending } = state;
  let message: JsonRpcMessage;
  try {
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    message = parseJsonRpc(body, context.config().limits.maxJsonDepth);
  } catch {
    return next(); // The broker's handler answers a malformed body exactly as before.
  }
  const modern = (server: string): boolean => context.upstreams.generation(server) === "2026";
  try {
    if (message.kind === "response") {
      const origin = decodeServerRequestId(message.id);
      if (!origin || !modern(origin.server)) return next();
      const session = await checkSession(context, request, response, null);
      if (!pending.answer(session, String(message.id), answerOf(message))) {
        const holder = replicaOfRelayedId(origin.id);
        if (holder !== undefined && holder !== state.replica) throw relayerGone();
        return next();
      }
      response.status(202).end();
      return;
    }
    if (message.kind !== "request" || !isRoutedMethod(message.method)) return next();
    const decision = route(
      message,
      context.upstreams.catalogFor(callerOf(response).endpoint),
      context.config().servers,
    );
    if (decision.kind !== "upstream" || !modern(decision.target.server.name)) return next();
    const session = await checkSession(context, request, response, message.id);
    if (decision.method === "resources/subscribe" || decision.method === "resources/unsubscribe") {
      await subscription(state, { message, decision, session, response, token: callerToken(request, response) });
      return;
    }
    await bridge(state, { message, decision, session, response, token: callerToken(request, response) });
  } catch (error: unknown) {
    sendError(response, error, context.logger);
  }
}

/** A legacy client's answer to a request relayed by a replica that no longer runs (or cannot be reached). */
function relayerGone(): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.InvalidParams,
    "this answers a request relayed by a gateway replica that is gone (it stopped, restarted or cannot be reached); its call has ended",
    { httpStatus: 400 },
  );
}

function checkSession(context: GatewayContext, request: Request, response: Response, id: string | number | null) {
  return context.pipeline.checkSession(lowerHeaders(request), id, sessionKey(callerOf(response)));
}

interface BridgeRequest {
  message: JsonRpcRequest;
  decision: Decision;
  session: string;
  response: Response;
  /** The caller's bearer token: a per-consumer server's requests carry the caller's own credentials. */
  token: string | undefined;
}

/** Policy, rate limit and audit of a bridged request, as for any routed call. */
function admit(context: GatewayContext, { decision, session, response }: BridgeRequest) {
  return context.security.gate.admit(callerOf(response), admissionOf(decision, session));
}

/** A legacy `resources/subscribe` or `resources/unsubscribe` for a 2026 upstream's resource: answered `{}` once done. */
async function subscription(state: Bridging, input: BridgeRequest): Promise<void> {
  const { context, subscriptions } = state;
  const { message, decision, session, response } = input;
  const audit = await admit(context, input);
  try {
    // At /mcp/<server> the updates name the upstream's own URIs, as that endpoint lists them. The stream is the
    // caller's: a per-consumer server's carries the caller's own credentials (each reopening, the latest caller's).
    const served = servedAt(decision.target.server, callerOf(response).endpoint);
    const server = withConsumerAuth(served, await consumerAuth(context.credentials, served, input.token));
    if (decision.method === "resources/subscribe") {
      const check = context.sessions.verify(session, sessionKey(callerOf(response)));
      const expiresAtMs = check.ok ? check.expiresAtMs : Date.now();
      await subscriptions.subscribe(session, server, decision.target.name, expiresAtMs);
    } else {
      await subscriptions.unsubscribe(session, server, decision.target.name);
    }
    audit.finish(200, "ok");
  } catch (error: unknown) {
    audit.finish(null);
    throw GatewayError.from(error, message.id);
  }
  response.status(200).json({ jsonrpc: "2.0", id: message.id, result: {} });
}

async function bridge(state: Bridging, input: BridgeRequest): Promise<void> {
  const { context, pending } = state;
  const { message, decision, session, response } = input;
  // At /mcp/<server> the reply's resource URIs stay the upstream's own, as that endpoint lists them.
  const server = servedAt(decision.target.server, callerOf(response).endpoint);
  const audit = await admit(context, input);
  const abort = new AbortController();
  response.on("close", () => abort.abort());
  response.status(200).setHeader("content-type", "text/event-stream").setHeader("cache-control", "no-cache");
  response.flushHeaders();
  const write = (out: unknown): void => {
    if (!abort.signal.aborted && !response.writableEnded) response.write(event(out));
  };
  const { limits } = context.config();
  const ask: AskClient = async (method, params) => {
    const id = encodeServerRequestId(server.name, state.replica ? relayedRequestId(state.replica) : randomUUID());
    const answered = pending.wait(session, id, limits.upstreamTimeout);
    abort.signal.addEventListener("abort", () => pending.forget(session, id), { once: true });
    write({ jsonrpc: "2.0", id, method, params });
    const answer = await answered;
    if ("error" in answer) throw new GatewayError(answer.error.code as never, answer.error.message);
    return answer.result;
  };
  const body = JSON.parse(decision.body.toString("utf8")) as { params?: Record<string, unknown> };
  const call: BridgedCall = { method: decision.method as BridgedCall["method"], params: body.params ?? {} };
  let final: Record<string, unknown>;
  try {
    const auth = await consumerAuth(context.credentials, server, input.token);
    const result = await callModernUpstream(withConsumerAuth(server, auth), call, ask, {
      clientInfo: CLIENT_INFO,
      discover: context.upstreams.discoverResult(server.name),
      timeoutMs: limits.upstreamTimeout,
      credentials: context.credentials,
      signal: abort.signal,
      ...(await callNotifications(context, session, call.params, write)),
    });
    final = { jsonrpc: "2.0", id: message.id, result };
    audit.finish(200, resultOutcome(result));
  } catch (error: unknown) {
    const failure = GatewayError.from(error, message.id);
    final = { jsonrpc: "2.0", id: message.id, error: { code: failure.code, message: failure.message } };
    audit.finish(null);
  }
  if (abort.signal.aborted) return;
  // The final reply gets the rewriting of any routed reply (resource URIs prefixed, redaction).
  const redactor = context.security.gate.redactorFor({
    server: server.name,
    method: decision.method,
    target: decision.named.exposed,
    normalizedTarget: decision.named.normalized,
  });
  const rewrite = { server, method: decision.method, requestId: message.id, redactor };
  const rewriter = replyRewriter({ "content-type": "application/json" }, rewrite);
  const bytes = Buffer.from(JSON.stringify(final));
  const sent = rewriter ? rewriteWhole(rewriter, bytes) : bytes;
  // Content capture records the result the client is sent (rewritten, redacted).
  requestSpanOf(response)?.recordClientReply("application/json", sent);
  response.end(`event: message\ndata: ${sent.toString("utf8")}\n\n`);
}
