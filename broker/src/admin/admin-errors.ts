import type { ErrorRequestHandler, RequestHandler, Response } from "express";
import { ConsumerError, type Logger } from "@mcp-gateway/core";
import { noteAdminError } from "./admin-audit";

/** Media types of admin bodies: JSON, and JSON merge patch (RFC 7396) for PATCH clients that send it. */
export const ADMIN_BODY_TYPES = ["application/json", "application/merge-patch+json"];

/** Sends `{error, field?}` with the status; the admin API's only error shape. */
export function sendAdminError(response: Response, status: number, message: string, field?: string): void {
  noteAdminError(response, message);
  response.status(status).json(field === undefined ? { error: message } : { error: message, field });
}

/** Answers 415 when a request carries a body that is not JSON (bodiless and empty-bodied requests pass). */
export const requireJsonBody: RequestHandler = function requireJsonBody(request, response, next) {
  // `is()` is null without a body and false when the body has another type; clients such as fetch send
  // `content-length: 0` and no type for a bodiless POST, which is no body either.
  const empty = request.get("content-length") === "0";
  if (!empty && request.is(ADMIN_BODY_TYPES) === false) {
    const got = request.get("content-type");
    const found = got ? ` (got ${JSON.stringify(got.slice(0, 100))})` : " (none given)";
    sendAdminError(response, 415, `content-type must be application/json${found}`);
  } else next();
};

/** Body-parser failures keep their status (400 bad JSON, 413 too large); they carry `type` and `status`. */
function bodyParserFailure(error: unknown): { status: number; message: string } | undefined {
  if (typeof error !== "object" || error === null || !("type" in error) || !("status" in error)) return undefined;
  const { type, status } = error as { type: unknown; status: unknown };
  if (typeof status !== "number") return undefined;
  if (type === "entity.too.large") return { status, message: "request body too large" };
  if (type === "entity.parse.failed") {
    // The parser's own message may quote the body; only its position is passed on.
    const position = /at position (\d+)/.exec(String((error as { message?: unknown }).message))?.[1];
    return { status, message: `request body is not valid JSON${position ? ` (at position ${position})` : ""}` };
  }
  if (type === "encoding.unsupported" || type === "charset.unsupported")
    return { status, message: "unsupported body encoding" };
  return { status, message: "cannot read request body" };
}

/** Converts errors to the admin API's JSON errors; unexpected ones become 500 without details and are logged. */
export function adminErrorHandler(logger: Logger): ErrorRequestHandler {
  return function handleAdminError(error: unknown, request, response, _next) {
    if (response.headersSent) {
      response.end();
      return;
    }
    if (error instanceof ConsumerError) {
      sendAdminError(response, error.status, error.message, error.field);
      return;
    }
    const failure = bodyParserFailure(error);
    if (failure) {
      sendAdminError(response, failure.status, failure.message);
      return;
    }
    logger.error("admin: request failed", { method: request.method, path: request.path, error });
    sendAdminError(response, 500, "internal error");
  };
}
