import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import {
  callModernUpstream,
  decodeServerRequestId,
  encodeServerRequestId,
  GatewayError,
  isRoutedMethod,
  parseJsonRpc,
  replyRewriter,
  rewriteWhole,
  route,
  sessionOwner,
  type AskClient,
  type BridgedCall,
  type GatewayContext,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from "@mcp-gateway/core";
import { callerOf } from "../caller";
import { sendError } from "../http-errors";
import { lowerHeaders } from "../request-headers";
import { PendingAnswers, type ClientAnswer } from "./pending-answers";

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

/**
 * The broker's bridge for legacy (2025, session) clients calling a 2026 upstream, in both modes (the router and the
 * standalone forwarder send such calls, and the client's answers to relayed requests, to the broker). The call goes
 * out with the SDK v2 client; each request an `input_required` result embeds is relayed to the client as an ordinary
 * server-to-client request on the call's SSE stream (id `mcpgw:<server>:<uuid>`), the client's answer (a POSTed
 * response on the same gateway session) goes back into the SDK's retry, and the final result ends the stream.
 * Every other request passes to the next handler.
 */
export function createLegacyBridge(context: GatewayContext) {
  const pending = new PendingAnswers();
  return async function bridgeLegacyCall(request: Request, response: Response, next: NextFunction): Promise<void> {
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
        if (!pending.answer(session, String(message.id), answerOf(message))) return next();
        response.status(202).end();
        return;
      }
      if (message.kind !== "request" || !isRoutedMethod(message.method)) return next();
      const decision = route(message, context.upstreams.catalog(), context.config().servers);
      if (decision.kind !== "upstream" || !modern(decision.target.server.name)) return next();
      const session = await checkSession(context, request, response, message.id);
      await bridge(context, pending, { message, decision, session, response });
    } catch (error: unknown) {
      sendError(response, error, context.logger);
    }
  };
}

function checkSession(context: GatewayContext, request: Request, response: Response, id: string | number | null) {
  return context.pipeline.checkSession(lowerHeaders(request), id, sessionOwner(callerOf(response)));
}

interface BridgeRequest {
  message: JsonRpcRequest;
  decision: Extract<ReturnType<typeof route>, { kind: "upstream" }>;
  session: string;
  response: Response;
}

async function bridge(context: GatewayContext, pending: PendingAnswers, input: BridgeRequest): Promise<void> {
  const { message, decision, session, response } = input;
  const server = decision.target.server;
  const caller = callerOf(response);
  const audit = await context.security.gate.admit(caller, {
    method: decision.method,
    kind: decision.named.kind,
    exposed: decision.named.exposed,
    normalized: decision.named.normalized,
    server: server.name,
    id: decision.id,
    routedBytes: decision.body.length,
    args: decision.named.args,
    session,
  });
  const abort = new AbortController();
  response.on("close", () => abort.abort());
  response.status(200).setHeader("content-type", "text/event-stream").setHeader("cache-control", "no-cache");
  response.flushHeaders();
  const { limits } = context.config();
  const ask: AskClient = async (method, params) => {
    const id = encodeServerRequestId(server.name, randomUUID());
    const answered = pending.wait(session, id, limits.upstreamTimeout);
    abort.signal.addEventListener("abort", () => pending.forget(session, id), { once: true });
    response.write(event({ jsonrpc: "2.0", id, method, params }));
    const answer = await answered;
    if ("error" in answer) throw new GatewayError(answer.error.code as never, answer.error.message);
    return answer.result;
  };
  const body = JSON.parse(decision.body.toString("utf8")) as { params?: Record<string, unknown> };
  const call: BridgedCall = { method: decision.method as BridgedCall["method"], params: body.params ?? {} };
  let final: Record<string, unknown>;
  try {
    const result = await callModernUpstream(server, call, ask, {
      clientInfo: CLIENT_INFO,
      discover: context.upstreams.discoverResult(server.name),
      timeoutMs: limits.upstreamTimeout,
      signal: abort.signal,
    });
    final = { jsonrpc: "2.0", id: message.id, result };
    audit.finish(200);
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
  const out = rewriter ? rewriteWhole(rewriter, bytes).toString("utf8") : bytes.toString("utf8");
  response.end(`event: message\ndata: ${out}\n\n`);
}
