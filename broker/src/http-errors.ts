import type { Response } from "express";
import { GatewayError } from "@mcp-gateway/core";

/** Sends a GatewayError as its HTTP status with a JSON-RPC error body. */
export function sendError(response: Response, error: unknown): void {
  const gatewayError = GatewayError.from(error);
  if (response.headersSent) {
    response.end();
    return;
  }
  response.status(gatewayError.httpStatus).json(gatewayError.toJsonRpc());
}
