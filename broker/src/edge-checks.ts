import type { NextFunction, Request, Response } from "express";
import {
  advertisesProtectedResource,
  headerSizeError,
  AGGREGATE_PATH,
  PROTECTED_RESOURCE_WELL_KNOWN,
  protectedResourceMetadata,
  metadataPathOf,
  resourceUrl,
  type GatewayContext,
} from "@mcp-gateway/core";
import { sendError } from "./http-errors";
import { lowerHeaders } from "./request-headers";

/**
 * What the edge settles from headers alone, as the router does in Envoy mode: CORS (preflight answered, response
 * headers added for allowed origins) and the header size cap (431).
 */
export function createEdgeChecks(context: GatewayContext) {
  return function checkAtEdge(request: Request, response: Response, next: NextFunction): void {
    const headers = lowerHeaders(request);
    const cors = context.cors();
    const corsHeaders = cors.responseHeaders(headers);
    for (const name of Object.keys(corsHeaders)) response.setHeader(name, corsHeaders[name] as string);
    const preflight = cors.preflight(request.method, headers);
    if (preflight) {
      for (const [name, value] of Object.entries(preflight)) response.setHeader(name, value);
      response.status(204).end();
      return;
    }
    const tooLarge = headerSizeError(headers, context.config().limits.maxHeaderBytes);
    if (tooLarge) {
      sendError(response, tooLarge);
      return;
    }
    next();
  };
}

/**
 * The endpoint path a well-known metadata path names (RFC 9728 §3.1: the resource's path follows the well-known one):
 * nothing or `/mcp` the aggregated endpoint, any endpoint-shaped path that path whether it is configured or not (see
 * metadataPathOf: the answer tells no one which endpoints exist); else undefined.
 */
function metadataEndpointPath(context: GatewayContext, path: string): string | undefined {
  const rest = path.slice(PROTECTED_RESOURCE_WELL_KNOWN.length);
  return rest === "" ? AGGREGATE_PATH : metadataPathOf(context.config(), rest);
}

/**
 * GET /.well-known/oauth-protected-resource[/mcp | /mcp/<server> | /<virtual path>]: the protected resource metadata
 * of that endpoint; 404 unless authorization servers are configured (see {@link advertisesProtectedResource}) or for
 * a path of no endpoint's shape.
 */
export function createProtectedResourceHandler(context: GatewayContext) {
  return function serveProtectedResource(request: Request, response: Response): void {
    const config = context.config();
    if (config.auth === "none") {
      response.status(404).json({ error: "this gateway does not require authorization (auth: none)" });
      return;
    }
    if (!advertisesProtectedResource(config)) {
      response.status(404).json({
        error:
          "no OAuth authorization server is configured (auth.resourceMetadata.authorizationServers); use an API key",
      });
      return;
    }
    const endpointPath = metadataEndpointPath(context, request.path);
    if (endpointPath === undefined) {
      response.status(404).json({ error: "no MCP endpoint has protected resource metadata at this path" });
      return;
    }
    const metadata = protectedResourceMetadata({
      resource: resourceUrl(config, lowerHeaders(request), endpointPath),
      authorizationServers: [...config.auth.resourceMetadata.authorizationServers],
      ...(config.auth.resourceMetadata.scopes ? { scopesSupported: [...config.auth.resourceMetadata.scopes] } : {}),
      resourceName: "MCP gateway",
    });
    response.setHeader("cache-control", "max-age=300").json(metadata);
  };
}
