import type { Request } from "express";
import { nullRecord } from "@mcp-gateway/core";

/**
 * The request's headers as one lower-case string per name (repeated headers joined with ", "), in a null-prototype
 * record: a header the client did not send reads as undefined whatever its name.
 */
export function lowerHeaders(request: Request): Record<string, string> {
  const headers = nullRecord<string>();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  return headers;
}
