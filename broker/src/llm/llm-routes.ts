import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from "express";
import { LlmError, type GatewayContext, type Security } from "@mcp-gateway/core";
import { createEdgeChecks } from "../edge-checks";
import { rawBodyReader } from "../raw-body";
import { createLlmGate, sendLlmError } from "./llm-gate";
import { createLlmHandler, type LlmDeps } from "./llm-handler";

/** The OpenAI-compatible endpoints the broker serves (both modes; Envoy routes `/v1/*` to it). */
export const LLM_PATHS = ["/v1/chat/completions", "/v1/responses"] as const;

const DEFAULT_MAX_REQUEST_BYTES = 1_048_576;

// Four parameters: Express recognizes an error handler by its arity.
const bodyError: ErrorRequestHandler = function llmBodyError(error: unknown, _request, response, _next) {
  sendLlmError(response, error);
};

function notAllowed(_request: Request, response: Response): void {
  response.setHeader("allow", "POST");
  sendLlmError(response, new LlmError(405, "invalid_request_error", "method not allowed: send POST"));
}

/**
 * Mounts POST /v1/chat/completions and /v1/responses: the request gate (Host/Origin, edge checks, the caller), the
 * body capped at `llm.maxRequestBytes` (413), then the tool loop; errors in OpenAI's shape.
 */
export function mountLlmRoutes(
  app: Express,
  context: GatewayContext,
  edge: boolean,
  deps: Omit<LlmDeps, "context" | "edge">,
): void {
  // In both modes: behind Envoy these routes skip ext_proc, so CORS and the header cap are the broker's to apply.
  const edgeChecks = [createEdgeChecks(context)];
  const security = (): Security => deps.security ?? context.security;
  const handlers: RequestHandler[] = [
    ...edgeChecks,
    createLlmGate(context, edge, security),
    rawBodyReader(() => context.config().llm?.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES),
  ];
  app.post(LLM_PATHS[0], ...handlers, createLlmHandler({ ...deps, context, edge }, "chat"), bodyError);
  app.post(LLM_PATHS[1], ...handlers, createLlmHandler({ ...deps, context, edge }, "responses"), bodyError);
  // A browser's CORS preflight (OPTIONS) is answered as for /mcp; any other method is a 405.
  app.all([...LLM_PATHS], ...edgeChecks, notAllowed);
}
