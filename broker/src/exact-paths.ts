import type { Express, NextFunction, Request, RequestHandler, Response } from "express";
import { GatewayError, JsonRpcErrorCode, noEndpointError } from "@mcp-gateway/core";
import { sendError } from "./http-errors";

/**
 * Makes an Express app route exactly: paths are case-sensitive and a trailing slash is a different path. Express
 * defaults to neither, so `/STATUS` and `/mcp/` would reach `/status` and `/mcp`. Call before adding any route.
 */
export function routeExactly(app: Express): void {
  app.set("case sensitive routing", true);
  app.set("strict routing", true);
}

/**
 * Answers 404 for any path that is not exactly one of `paths` or under one of `prefixes`, before any other handler
 * runs. Express's `use()` mounts are prefix matches, so `/mcp/x` would otherwise pass the `/mcp` middlewares; the
 * path is compared as sent (no decoding, no dot-segment or slash merging), as the router does in Envoy mode.
 */
export function exactPaths(
  paths: readonly string[],
  prefixes: readonly string[] = [],
  /** Paths decided at request time (endpoint-shaped ones: found to be an endpoint or not after authentication). */
  isDynamic: (path: string) => boolean = () => false,
): RequestHandler {
  const known = new Set(paths);
  return function requireExactPath(request: Request, response: Response, next: NextFunction): void {
    const path = request.path;
    if (known.has(path) || prefixes.some((prefix) => path.startsWith(prefix)) || isDynamic(path)) return next();
    sendError(response, noEndpointError(path));
  };
}

/** True when a request carries a body: a non-zero content-length or any transfer-encoding (RFC 9112 §6.3). */
export function hasBody(request: Request): boolean {
  const length = request.headers["content-length"];
  return request.headers["transfer-encoding"] !== undefined || (length !== undefined && length.trim() !== "0");
}

/**
 * 405 for a GET or DELETE of /mcp that carries a body (a JSON-RPC message belongs in a POST), and for HEAD (Express
 * would run the GET handler for it and open a stream that can never carry an event); as the router does in Envoy mode.
 */
export function refuseBodyOutsidePost(request: Request, response: Response, next: NextFunction): void {
  const method = request.method;
  const refused = method === "HEAD" || ((method === "GET" || method === "DELETE") && hasBody(request));
  if (!refused) return next();
  const message =
    method === "HEAD" ? "HEAD /mcp is not supported" : `${method} /mcp takes no body; send JSON-RPC messages with POST`;
  sendError(
    response,
    new GatewayError(JsonRpcErrorCode.InvalidRequest, message, {
      httpStatus: 405,
      headers: { allow: "GET, POST, DELETE" },
    }),
  );
}
