import * as http from "node:http";
import * as https from "node:https";
import type { Cluster } from "./envoy-config";
import type { HeaderMap } from "./header-map";
import { localReply, type LocalReply } from "./local-reply";
import type { RouteEntry } from "./route-table";

/** Connection pools to upstream clusters (no keep-alive, so closing a test's servers never waits on idle sockets). */
export interface UpstreamAgents {
  http: http.Agent;
  https: https.Agent;
}

/** A request in flight to an upstream cluster. */
export interface UpstreamCall {
  request: http.ClientRequest;
  /** Resolves with the response head, rejects when the connection fails or resets before it. */
  response: Promise<http.IncomingMessage>;
}

/** Creates the agents a harness uses and destroys on close. */
export function createUpstreamAgents(): UpstreamAgents {
  return { http: new http.Agent({ keepAlive: false }), https: new https.Agent({ keepAlive: false }) };
}

function upstreamHost(route: RouteEntry, cluster: Cluster, headers: HeaderMap): string {
  if (route.hostRewriteLiteral !== undefined) return route.hostRewriteLiteral;
  if (route.autoHostRewrite) return cluster.address;
  return headers.get(":authority") ?? "";
}

function upstreamPath(route: RouteEntry, path: string): string {
  if (route.prefixRewrite === undefined || route.prefix === undefined) return path;
  return route.prefixRewrite + path.slice(route.prefix.length);
}

/**
 * Sends the (mutated) request to the cluster's endpoint as Envoy's router does: `:method` and `:path` (after any
 * prefix rewrite), every regular header, `host` from `:authority` (or the host rewrite), the route timeout in
 * `x-envoy-expected-rq-timeout-ms`, and the buffered body framed by its content-length or else chunked.
 */
export function sendUpstream(
  agents: UpstreamAgents,
  cluster: Cluster,
  route: RouteEntry,
  headers: HeaderMap,
  body: Buffer | undefined,
): UpstreamCall {
  const outgoing = headers.toNode(["host"]);
  outgoing.host = upstreamHost(route, cluster, headers);
  if (route.timeoutMs > 0) outgoing["x-envoy-expected-rq-timeout-ms"] = String(route.timeoutMs);
  if (body !== undefined && !headers.has("content-length")) outgoing["transfer-encoding"] = "chunked";
  const options: https.RequestOptions = {
    host: cluster.address,
    port: cluster.port,
    method: headers.get(":method") ?? "GET",
    path: upstreamPath(route, headers.get(":path") ?? "/"),
    headers: outgoing,
    setHost: false,
  };
  const request = cluster.tls
    ? https.request({ ...options, agent: agents.https, servername: cluster.sni, rejectUnauthorized: false })
    : http.request({ ...options, agent: agents.http });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
  });
  request.end(body);
  return { request, response };
}

/** Envoy's 503 when the upstream connection fails or resets before response headers. */
export function connectFailureReply(error: unknown): LocalReply {
  const reason = error instanceof Error ? error.message : String(error);
  const body = `upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: ${reason}`;
  return localReply(503, "upstream_reset_before_response_started{connection_failure}", body, true);
}
