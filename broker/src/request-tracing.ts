import type { RequestHandler, Response } from "express";
import {
  parseBody,
  sessionOwner,
  type Caller,
  type GatewayContext,
  type PipelineOutcome,
  type RequestSpan,
} from "@mcp-gateway/core";
import { lowerHeaders } from "./request-headers";

const SPAN = "requestSpan";

/**
 * The SERVER span of each POST /mcp (one JSON-RPC message), active while the request is handled so upstream calls and
 * lazy initializes become its children; ended when the response closes. Undefined when tracing is off: the app then
 * adds no middleware, so tracing off costs nothing per request. With tracing on the body is parsed once more here
 * (the span's parent may be in its `_meta`).
 */
export function createRequestTracing(context: GatewayContext): RequestHandler | undefined {
  const tracing = context.tracing;
  if (!tracing) return undefined;
  return function traceMcpPost(request, response, next) {
    const message = Buffer.isBuffer(request.body) ? parseBody(request.body) : undefined;
    traceResponse(response, tracing.startRequest({ message, headers: lowerHeaders(request) }), next);
  };
}

/**
 * The SERVER span of each GET (a notification stream: the span lasts as long as the stream) and DELETE of /mcp,
 * named `GET /mcp` / `DELETE /mcp` (no MCP method to name it by); undefined when tracing is off.
 */
export function createStreamTracing(context: GatewayContext): RequestHandler | undefined {
  const tracing = context.tracing;
  if (!tracing) return undefined;
  return function traceMcpStream(request, response, next) {
    const httpMethod = request.method === "DELETE" ? "DELETE" : "GET";
    traceResponse(
      response,
      tracing.startRequest({ message: undefined, headers: lowerHeaders(request), httpMethod }),
      next,
    );
  };
}

// The span notes the caller, ends when the response closes and is active while the request is handled.
function traceResponse(response: Response, span: RequestSpan, next: () => void): void {
  const caller = response.locals["caller"] as Caller | undefined;
  if (caller) span.note({ consumer: sessionOwner(caller) || undefined });
  response.locals[SPAN] = span;
  response.once("close", () => span.end(response.statusCode));
  span.run(next);
}

/** The request's span when tracing is on. */
export function requestSpanOf(response: Response): RequestSpan | undefined {
  return response.locals[SPAN] as RequestSpan | undefined;
}

/** Records the pipeline's decision on the request's span (server, decision, refusal reason). */
export function noteDecision(response: Response, outcome: PipelineOutcome): void {
  const span = requestSpanOf(response);
  if (!span) return;
  const refusal = outcome.kind === "reject" ? outcome.error.message : undefined;
  span.note({ server: outcome.facts.server, decision: outcome.kind, refusal });
}
