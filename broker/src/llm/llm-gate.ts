import type { NextFunction, Request, Response } from "express";
import {
  edgeClient,
  GatewayError,
  LlmError,
  routedClient,
  type GatewayContext,
  type LlmErrorType,
  type Security,
} from "@mcp-gateway/core";
import { lowerHeaders } from "../request-headers";

const TYPE_BY_STATUS = new Map<number, LlmErrorType>([
  [401, "authentication_error"],
  [403, "permission_error"],
  [404, "not_found_error"],
  [413, "request_too_large"],
  [429, "rate_limit_exceeded"],
]);

/** Any error as the client's {@link LlmError}: a gateway refusal keeps its status and headers; the rest is a 500. */
export function asLlmError(error: unknown): LlmError {
  if (error instanceof LlmError) return error;
  if (error instanceof GatewayError) {
    const status = error.httpStatus >= 400 ? error.httpStatus : 400;
    const type = TYPE_BY_STATUS.get(status) ?? (status >= 500 ? "server_error" : "invalid_request_error");
    // OpenAI answers a missing or wrong key with code invalid_api_key; SDKs and tools key on it.
    const code = status === 401 ? "invalid_api_key" : null;
    return new LlmError(status, type, error.message, { headers: { ...error.headers }, code });
  }
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413)
    return new LlmError(413, "request_too_large", "request body too large", { code: "request_too_large" });
  if (typeof status === "number" && status >= 400 && status < 500)
    return new LlmError(status, "invalid_request_error", "the request body could not be read");
  return new LlmError(500, "server_error", "internal error");
}

/** Sends `error` in OpenAI's error shape with its status and headers. */
export function sendLlmError(response: Response, error: unknown): void {
  const llmError = asLlmError(error);
  if (response.headersSent) {
    response.end();
    return;
  }
  for (const [name, value] of Object.entries(llmError.headers)) response.setHeader(name, value);
  response.status(llmError.status).json(llmError.toBody());
}

/**
 * Who sent an LLM request: the Host/Origin guard, then the client's own credentials, in both modes. Envoy sends the
 * LLM endpoints to the broker without ext_proc (their bodies are not JSON-RPC), so no router vouches for the caller
 * here; behind Envoy the client's address is the one Envoy sets on these routes (x-mcp-client-address, a client's
 * own copy removed), at the edge the socket's (or a trusted proxy's forwarded one). `security` authenticates: the
 * context's, or the LLM endpoints' own in a broker that enforces nothing else. Refusals in OpenAI's error shape.
 */
export function createLlmGate(context: GatewayContext, edge: boolean, security: () => Security) {
  return async function llmGate(request: Request, response: Response, next: NextFunction): Promise<void> {
    try {
      const headers = lowerHeaders(request);
      const denied = context.hostGuard().check(headers);
      if (denied) throw denied;
      const config = context.config();
      const client = edge
        ? edgeClient(request.socket.remoteAddress, headers, config.standalone.trustedProxies)
        : routedClient(headers);
      response.locals["caller"] = await security().gate.authenticate(
        request.method,
        headers,
        client,
        request.originalUrl,
      );
      next();
    } catch (error: unknown) {
      sendLlmError(response, error);
    }
  };
}
