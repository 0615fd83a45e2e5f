import type { RequestHandler } from "express";
import { hashApiKey, isApiKeyHash, sameKeyHash, type Logger } from "@mcp-gateway/core";

const BEARER_RE = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** Sent with every 401 so clients know which credentials the admin API wants. */
export const ADMIN_AUTH_CHALLENGE = 'Bearer realm="mcp-gateway-admin"';

/**
 * Middleware admitting only requests bearing the admin token. The presented token is hashed and the hashes are
 * compared in constant time, so neither the token nor its length leaks through timing; the token is never logged.
 */
export function requireAdminToken(adminTokenHash: string, logger: Logger): RequestHandler {
  if (!isApiKeyHash(adminTokenHash)) throw new Error("adminTokenHash must be sha256:<64 hex digits> (see hashApiKey)");
  return function checkAdminToken(request, response, next) {
    const token = BEARER_RE.exec(request.get("authorization") ?? "")?.[1];
    if (token !== undefined && sameKeyHash(hashApiKey(token), adminTokenHash)) {
      next();
      return;
    }
    logger.warn("admin: request rejected", {
      reason: token === undefined ? "missing bearer token" : "wrong token",
      method: request.method,
      path: request.path,
    });
    response
      .status(401)
      .setHeader("www-authenticate", ADMIN_AUTH_CHALLENGE)
      .json({ error: token === undefined ? "missing bearer token" : "invalid admin token" });
  };
}
