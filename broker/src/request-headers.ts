import type { Request } from "express";
import { nullRecord } from "@mcp-gateway/core";

// One record per request, built on first use: the host guard, edge checks, caller resolver, tracing and forwarder
// all read the same headers, and a request's headers do not change while it is handled (see dropHeader).
const lowered = new WeakMap<Request, Record<string, string>>();

/**
 * The request's headers as one lower-case string per name (repeated headers joined with ", "), in a null-prototype
 * record: a header the client did not send reads as undefined whatever its name. Built once per request; read-only.
 */
export function lowerHeaders(request: Request): Readonly<Record<string, string>> {
  let headers = lowered.get(request);
  if (headers) return headers;
  headers = nullRecord<string>();
  const given = request.headers;
  for (const name of Object.keys(given)) {
    const value = given[name];
    if (typeof value === "string") headers[name] = value;
    else if (Array.isArray(value)) headers[name] = value.join(", ");
  }
  lowered.set(request, headers);
  return headers;
}

/** Removes a header from the request, and from what {@link lowerHeaders} answers for it from now on. */
export function dropHeader(request: Request, name: string): void {
  delete request.headers[name];
  const headers = lowered.get(request);
  if (headers) delete headers[name];
}
