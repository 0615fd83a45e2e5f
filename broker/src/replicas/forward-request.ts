import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { pipeline } from "node:stream/promises";
import type { Request, Response } from "express";
import { HOP_BY_HOP_HEADERS } from "@mcp-gateway/core";
import { HOP_HEADER } from "./hop-marker";

// Of the client's request, also what the body as read no longer matches (Express has already decoded any
// content-encoding, and the length is set again for the bytes sent) and the hop marker this replica sets itself.
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  ...HOP_BY_HOP_HEADERS,
  "expect",
  "content-length",
  "content-encoding",
  HOP_HEADER,
]);

const httpAgent = new HttpAgent({ keepAlive: true });
const httpsAgent = new HttpsAgent({ keepAlive: true });

/** Why a forward did not reach the holder: nothing was answered to the client, so this replica may answer. */
export class HolderUnreachable extends Error {}

/**
 * The client's request as received (method, path, every end-to-end header: the Host it named, its credentials or the
 * router's signed identity, its session and protocol headers), for the holder at `base`, with `marker` as hop header.
 */
function outgoingHeaders(request: Request, body: Buffer, marker: string): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(name)) headers[name] = value;
  }
  headers["content-length"] = String(body.length);
  headers[HOP_HEADER] = marker;
  return headers;
}

/** Opens the forwarded request; rejects with {@link HolderUnreachable} when the holder does not answer. */
function open(
  base: URL,
  request: Request,
  body: Buffer,
  marker: string,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  // The holder's own origin, whatever the target says (the server admits only origin-form targets; a path of
  // "//host/..." would otherwise name another host).
  const target = new URL(base.href);
  const query = request.originalUrl.indexOf("?");
  target.pathname = request.path;
  target.search = query === -1 ? "" : request.originalUrl.slice(query);
  const https = target.protocol === "https:";
  return new Promise((resolve, reject) => {
    const outgoing = (https ? httpsRequest : httpRequest)(target, {
      method: request.method,
      headers: outgoingHeaders(request, body, marker),
      agent: https ? httpsAgent : httpAgent,
      signal,
    });
    outgoing.once("response", resolve);
    // Before the holder's response headers nothing reached the client: this replica can still answer.
    outgoing.once("error", (error) => reject(new HolderUnreachable(error.message)));
    outgoing.end(body);
  });
}

/**
 * Sends the request to the replica at `base` and streams its answer (status, headers, body: JSON or SSE) back to the
 * client, with backpressure; the client going away ends the forwarded request. Rejects with
 * {@link HolderUnreachable} when the holder cannot be reached (nothing has been written to `response` then).
 */
export async function forwardToHolder(base: URL, request: Request, response: Response, body: Buffer, marker: string) {
  const abort = new AbortController();
  response.once("close", () => abort.abort());
  const reply = await open(base, request, body, marker, abort.signal);
  response.status(reply.statusCode ?? 502);
  for (const [name, value] of Object.entries(reply.headers)) {
    if (value !== undefined && !HOP_BY_HOP_HEADERS.has(name)) response.setHeader(name, value);
  }
  response.flushHeaders();
  try {
    await pipeline(reply, response);
  } catch {
    // The client or the holder went away mid-answer: nothing more can be said on this response.
    if (!response.writableEnded) response.destroy();
  }
}
