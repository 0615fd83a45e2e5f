import type { Response } from "express";
import { GatewayError } from "@mcp-gateway/core";

/** Sends a GatewayError as its HTTP status with a JSON-RPC error body. */
export function sendError(response: Response, error: unknown): void {
  const gatewayError = GatewayError.from(error);
  if (response.headersSent) {
    response.end();
    return;
  }
  for (const [name, value] of Object.entries(gatewayError.headers)) response.setHeader(name, value);
  response.status(gatewayError.httpStatus).json(gatewayError.toJsonRpc());
}
