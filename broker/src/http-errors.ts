import type { Response } from "express";
import { GatewayError, logUnexpected, type ErrorLogger } from "@mcp-gateway/core";
import { requestSpanOf } from "./request-tracing";
import { noteRefusal } from "./access-log";

/**
 * Sends a GatewayError as its HTTP status with a JSON-RPC error body; anything else becomes an internal error whose
 * cause goes to `logger` (never to the client).
 */
export function sendError(response: Response, error: unknown, logger?: ErrorLogger): void {
  const gatewayError = GatewayError.from(error);
  logUnexpected(logger, gatewayError, { path: response.req.path });
  requestSpanOf(response)?.fail(gatewayError.code, gatewayError.message);
  noteRefusal(response, gatewayError.code);
  if (response.headersSent) {
    response.end();
    return;
  }
  for (const [name, value] of Object.entries(gatewayError.headers)) response.setHeader(name, value);
  response.status(gatewayError.httpStatus).json(gatewayError.toJsonRpc());
}
