import type { Request, RequestHandler, Response } from "express";
import {
  AUDIT_DECISIONS,
  AUDIT_FIELD_MAX_CHARS,
  AuditTapFullError,
  type AuditDecision,
  type AuditEvent,
  type AuditTap,
  type AuditTapFilter,
  type AuditTapSubscription,
} from "@mcp-gateway/core";
import { sendAdminError } from "./admin-errors";

/** Tuning of {@link auditStream}; the defaults suit a browser tail. */
export interface AuditStreamOptions {
  /** Bytes a tail may leave unread in its socket buffer before it is dropped as too slow (default 256 KiB). */
  maxBufferedBytes?: number;
  /** Interval of the keep-alive comment that keeps proxies from closing an idle tail (default 15 s). */
  keepAliveMs?: number;
}

const FILTER_FIELDS = ["consumer", "server", "decision"] as const;

class FilterError extends Error {}

function isDecision(value: string): value is AuditDecision {
  return (AUDIT_DECISIONS as readonly string[]).includes(value);
}

/** The filter from the query: each of consumer, server and decision at most once, nothing else. */
export function parseTailFilter(query: Request["query"]): AuditTapFilter {
  const filter: AuditTapFilter = {};
  for (const key of Object.keys(query)) {
    if (!(FILTER_FIELDS as readonly string[]).includes(key))
      throw new FilterError(`unknown filter ${JSON.stringify(key.slice(0, 64))}: use consumer, server or decision`);
    const value: unknown = query[key];
    if (typeof value !== "string") throw new FilterError(`filter ${key} must be given once, as text`);
    if (value.length === 0 || value.length > AUDIT_FIELD_MAX_CHARS)
      throw new FilterError(`filter ${key} must be 1 to ${AUDIT_FIELD_MAX_CHARS} characters`);
    if (key === "decision") {
      if (!isDecision(value)) throw new FilterError(`filter decision must be one of ${AUDIT_DECISIONS.join(", ")}`);
      filter.decision = value;
    } else filter[key as "consumer" | "server"] = value;
  }
  return filter;
}

function startStream(response: Response): void {
  response.status(200);
  response.setHeader("content-type", "text/event-stream; charset=utf-8");
  response.setHeader("x-accel-buffering", "no");
  response.flushHeaders();
  // Tells the client the tail is attached (events before this point are not replayed).
  response.write(": attached\n\n");
}

/** Attaches `response` to `tap` as an SSE tail; throws {@link AuditTapFullError} when the tap is full. */
function attachTail(
  tap: AuditTap,
  filter: AuditTapFilter,
  response: Response,
  maxBuffered: number,
  keepAliveMs: number,
) {
  let done = false;
  let subscription: AuditTapSubscription | undefined = undefined;
  const send = (frame: string): void => {
    if (done) return;
    if (response.writableLength > maxBuffered) {
      // Too slow: drop the tail rather than buffer without bound.
      response.destroy();
      end();
      return;
    }
    response.write(frame);
  };
  const keepAlive = setInterval(() => send(": keep-alive\n\n"), keepAliveMs);
  keepAlive.unref();
  const end = (): void => {
    if (done) return;
    done = true;
    clearInterval(keepAlive);
    subscription?.close();
    response.end();
  };
  try {
    subscription = tap.subscribe(filter, (event: AuditEvent) =>
      send(`event: audit\ndata: ${JSON.stringify(event)}\n\n`),
    );
  } catch (error: unknown) {
    clearInterval(keepAlive);
    throw error;
  }
  response.once("close", end);
  startStream(response);
}

/**
 * `GET /audit/stream` (admin token required, checked before this): Server-Sent Events, one `audit` event per audit
 * event recorded from now on that matches the filter (query `consumer`, `server`, `decision`; exact match). Events
 * are the audit log's own (session ids and arguments already keyed-hashed), never a secret. A tail whose unread bytes
 * pass `maxBufferedBytes` is dropped (it reconnects), so a slow client costs bounded memory; at most
 * `tap.maxTails` tails at once (503 beyond).
 */
export function auditStream(tap: AuditTap, options: AuditStreamOptions = {}): RequestHandler {
  const maxBuffered = options.maxBufferedBytes ?? 256 * 1024;
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  return function streamAudit(request, response) {
    try {
      attachTail(tap, parseTailFilter(request.query), response, maxBuffered, keepAliveMs);
    } catch (error: unknown) {
      if (error instanceof FilterError) sendAdminError(response, 400, error.message);
      else if (error instanceof AuditTapFullError) {
        response.setHeader("retry-after", "5");
        sendAdminError(response, 503, error.message);
      } else throw error;
    }
  };
}
