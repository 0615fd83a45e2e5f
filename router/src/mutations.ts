import { nullRecord, type GatewayError } from "@mcp-gateway/core";
import type { HeaderMutation, HeaderValue, HeaderValueOption, ProcessingResponse } from "./ext-proc-messages";

/** A header to set as Envoy wants it: `raw_value` only, `append: false` (overwrite). */
export function setHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value) }, append: { value: false } };
}

/** A HeaderMutation from plain data; undefined when it would change nothing. */
export function headerMutation(
  set: Readonly<Record<string, string>>,
  remove: readonly string[] = [],
): HeaderMutation | undefined {
  const entries = Object.entries(set);
  if (entries.length === 0 && remove.length === 0) return undefined;
  const mutation: HeaderMutation = {};
  if (entries.length > 0) mutation.set_headers = entries.map(([key, value]) => setHeader(key, value));
  if (remove.length > 0) mutation.remove_headers = [...remove];
  return mutation;
}

/**
 * Reads Envoy's header list into a lower-case map; repeated headers are joined with ", " as HTTP allows. The map has
 * no prototype: names are the client's, and `constructor` or `__proto__` must be headers like any other.
 */
export function readHeaders(list: readonly HeaderValue[] | undefined): Record<string, string> {
  const headers = nullRecord<string>();
  for (const header of list ?? []) {
    const key = header.key.toLowerCase();
    const value = header.raw_value !== undefined ? header.raw_value.toString("latin1") : (header.value ?? "");
    const earlier = headers[key];
    headers[key] = earlier === undefined ? value : `${earlier}, ${value}`;
  }
  return headers;
}

/** An ImmediateResponse carrying the error as a JSON-RPC error body, with the request id when known. */
export function immediateError(
  error: GatewayError,
  extraHeaders: Readonly<Record<string, string>> = {},
): ProcessingResponse {
  const body = Buffer.from(JSON.stringify(error.toJsonRpc()));
  return {
    immediate_response: {
      status: { code: error.httpStatus },
      headers: headerMutation({ ...error.headers, ...extraHeaders, "content-type": "application/json" }),
      body,
      details: `mcp_gateway_${error.code < 0 ? `e${-error.code}` : error.code}`,
    },
  };
}

/** An ImmediateResponse replaying an upstream reply the router fetched itself (status, headers, body). */
export function immediateReply(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Buffer,
): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: status },
      headers: headerMutation(headers),
      body,
      details: "mcp_gateway_replayed",
    },
  };
}
