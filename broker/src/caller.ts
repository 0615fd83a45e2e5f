import type { NextFunction, Request, Response } from "express";
import {
  callerBearer,
  edgeClient,
  endpointFor,
  noEndpointError,
  routedClient,
  type Caller,
  type GatewayContext,
} from "@mcp-gateway/core";
import { sendError } from "./http-errors";
import { lowerHeaders } from "./request-headers";

/**
 * Establishes who sent a /mcp request. At the edge (standalone) the broker authenticates the client's credentials
 * itself; behind the router it trusts only the router's signed identity header (the router strips client copies), so
 * a request that bypasses the router gets 401.
 */
export function createCallerResolver(context: GatewayContext, edge: boolean) {
  return async function resolveCaller(request: Request, response: Response, next: NextFunction): Promise<void> {
    try {
      const headers = lowerHeaders(request);
      const gate = context.security.gate;
      const config = context.config();
      // At the edge the TCP peer (past standalone.trustedProxies); behind the router, the address the router passed.
      const caller = edge
        ? await gate.authenticate(
            request.method,
            headers,
            edgeClient(request.socket.remoteAddress, headers, config.standalone.trustedProxies),
            request.originalUrl,
          )
        : gate.fromIdentityHeader(headers, routedClient(headers));
      // The endpoint by the path as sent, as the router decides: no endpoint and one the caller's policy gives nothing
      // at get the same 404, only now that the caller is authenticated.
      const endpoint = endpointFor(config, request.path, caller.policy);
      if (endpoint === undefined) throw noEndpointError(request.path);
      response.locals["caller"] = endpoint.kind === "aggregate" ? caller : { ...caller, endpoint };
      next();
    } catch (error: unknown) {
      sendError(response, error);
    }
  };
}

/** The caller {@link createCallerResolver} established for this request. */
export function callerOf(response: Response): Caller {
  const caller = response.locals["caller"] as Caller | undefined;
  if (!caller) throw new Error("no caller: the caller resolver must run before the /mcp handlers");
  return caller;
}

/**
 * The bearer token the caller of this request authenticated with (a JWT caller's; behind the router the router
 * checked this very header before signing the identity), for the upstream credentials of per-consumer servers.
 */
export function callerToken(request: Request, response: Response): string | undefined {
  return callerBearer(callerOf(response), lowerHeaders(request));
}
