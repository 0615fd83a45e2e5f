import { randomUUID } from "node:crypto";
import type * as http from "node:http";
import { HeaderMap } from "./header-map";

/** Statuses whose responses never carry a body. */
const NO_BODY_STATUSES = new Set([204, 304]);

/** Whether an HTTP/1 request has a body: chunked, or a content-length above zero. */
export function hasRequestBody(req: http.IncomingMessage): boolean {
  return req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? 0) > 0;
}

/**
 * The request headers as Envoy's connection manager hands them to the filters: `:method`, `:path`, `:authority`
 * (from Host, which is not kept as a header), `:scheme`, the client's headers minus hop-by-hop ones, then the
 * `x-forwarded-proto` and `x-request-id` the connection manager adds when absent.
 */
export function requestHeaderMap(req: http.IncomingMessage): HeaderMap {
  const headers = new HeaderMap([
    [":method", req.method ?? "GET"],
    [":path", req.url ?? "/"],
    [":authority", req.headers.host ?? ""],
    [":scheme", "http"],
  ]);
  for (const [name, value] of HeaderMap.fromRaw(req.rawHeaders, { dropHost: true }).list()) headers.add(name, value);
  if (!headers.has("x-forwarded-proto")) headers.add("x-forwarded-proto", "http");
  if (!headers.has("x-request-id")) headers.add("x-request-id", randomUUID());
  return headers;
}

/** An upstream response's headers with `:status` first, hop-by-hop headers dropped. */
export function responseHeaderMap(response: http.IncomingMessage): HeaderMap {
  const headers = new HeaderMap([[":status", String(response.statusCode ?? 502)]]);
  for (const [name, value] of HeaderMap.fromRaw(response.rawHeaders, { dropHost: false }).list()) {
    headers.add(name, value);
  }
  return headers;
}

/** Whether the upstream response ends with its headers (HEAD, 204, 304, content-length 0): `end_of_stream`. */
export function responseHasNoBody(method: string | undefined, response: http.IncomingMessage): boolean {
  if (method === "HEAD" || NO_BODY_STATUSES.has(response.statusCode ?? 0)) return true;
  return response.headers["content-length"] === "0";
}
