import type { NextFunction, Request, RequestHandler, Response } from "express";
import { requestSpanOf } from "./request-tracing";
import {
  capText,
  refusalReason,
  sessionOwner,
  type AccessLogRecord,
  type AccessLogWriter,
  type Caller,
  type RequestFacts,
} from "@mcp-gateway/core";

/** Longest request path and client-chosen id written (the caps of Envoy's access log, access-log.ts there). */
const PATH_MAX = 512;
const ID_MAX = 64;
const VERSION_MAX = 32;

/** What the handlers learn of a request while answering it (see {@link noteAccess}). */
type AccessNotes = Partial<Pick<AccessLogRecord, "jsonrpc_id" | "mcp_method" | "mcp_server" | "mcp_target">> & {
  decision?: "routed" | "broker" | "refused";
  reason?: string;
};

const NOTES = "accessLog";

/**
 * The trace id of a request's line. The default ({@link traceIdOf}) is the request's span's trace id when tracing is
 * on, else the one in the W3C `traceparent` header the client sent.
 */
export type TraceIdHook = (request: Request, response: Response) => string | undefined;

// version-traceid-parentid-flags; version ff is invalid, version 00 has nothing after the flags.
const TRACEPARENT = /^(?!ff)([\da-f]{2})-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}(-.*)?$/;

/** The trace id of a valid W3C `traceparent` header (not all zeros), else undefined. */
export function traceIdFromHeader(request: Request): string | undefined {
  const header = request.headers["traceparent"];
  const match = typeof header === "string" ? TRACEPARENT.exec(header.trim()) : null;
  if (!match || (match[1] === "00" && match[3] !== undefined) || /^0+$/.test(match[2] ?? "")) return undefined;
  return match[2];
}

/** The trace id of the request's own span (tracing on: the trace its spans are in), else of its `traceparent`. */
export function traceIdOf(request: Request, response: Response): string | undefined {
  return requestSpanOf(response)?.span.spanContext().traceId ?? traceIdFromHeader(request);
}

/**
 * Notes what the pipeline decided for this request's access-log line: a no-op when the access log is off. Called by
 * the handlers (forwarder, /mcp routes, error responses); the last note of a field wins.
 */
export function noteAccess(response: Response, facts: RequestFacts, decision?: AccessNotes["decision"]): void {
  const notes = response.locals[NOTES] as AccessNotes | undefined;
  if (!notes) return;
  if (facts.method !== undefined) notes.mcp_method = capText(facts.method);
  // A string, as Envoy writes it (its dynamic metadata holds strings only).
  if (facts.id !== undefined) notes.jsonrpc_id = capText(String(facts.id), ID_MAX);
  if (facts.server !== undefined) notes.mcp_server = facts.server;
  if (facts.target !== undefined) notes.mcp_target = capText(facts.target);
  if (decision !== undefined) notes.decision = decision;
}

/**
 * Notes an error answer (its JSON-RPC code as the reason label); a no-op when the access log is off. A request not yet
 * decided was refused; a routed call or one left to the broker keeps that decision, with the reason its answer failed.
 */
export function noteRefusal(response: Response, code: number): void {
  const notes = response.locals[NOTES] as AccessNotes | undefined;
  if (!notes) return;
  notes.decision ??= "refused";
  notes.reason = refusalReason(code);
}

/** Options of {@link createAccessLog}. */
export interface AccessLogOptions {
  writer: AccessLogWriter;
  /** The audit log's keyed session hash (`SecurityGate.sessionDigest`); the session id itself is never written. */
  sessionDigest: (id: string) => string | undefined;
  /** Where the trace id comes from (default {@link traceIdFromHeader}); see {@link TraceIdHook}. */
  traceId?: TraceIdHook;
  /** The gateway's request id: the edge makes one, behind Envoy the broker takes Envoy's `x-request-id`. */
  requestId: (request: Request) => string;
}

/**
 * One access-log line per HTTP request, written when its response has ended (an SSE stream included) or the client
 * went away: the time to that point and the body bytes sent. Mounted first, so refusals of every later check count.
 */
export function createAccessLog(options: AccessLogOptions): RequestHandler {
  const traceId = options.traceId ?? traceIdOf;
  return function logAccess(request: Request, response: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    const startTime = new Date().toISOString();
    const notes: AccessNotes = {};
    response.locals[NOTES] = notes;
    const sent = countBodyBytes(response);
    const requestId = options.requestId(request);
    response.once("close", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      options.writer.write(
        record(request, response, notes, {
          start_time: startTime,
          duration_ms: Math.round(durationMs),
          bytes_sent: sent(),
          request_id: requestId,
          trace_id: traceId(request, response) ?? null,
          mcp_session: sessionOf(request, options.sessionDigest),
        }),
      );
    });
    next();
  };
}

type Measured = Pick<
  AccessLogRecord,
  "start_time" | "duration_ms" | "bytes_sent" | "request_id" | "trace_id" | "mcp_session"
>;

function record(request: Request, response: Response, notes: AccessNotes, measured: Measured): AccessLogRecord {
  const caller = response.locals["caller"] as Caller | undefined;
  const consumer = caller ? sessionOwner(caller) : "";
  const version = request.headers["mcp-protocol-version"];
  const received = Buffer.isBuffer(request.body) ? request.body.length : Number(request.headers["content-length"] ?? 0);
  return {
    start_time: measured.start_time,
    method: request.method,
    path: capText(request.originalUrl, PATH_MAX),
    client_address: caller?.client?.address ?? request.socket.remoteAddress ?? null,
    response_code: response.headersSent ? response.statusCode : 0,
    duration_ms: measured.duration_ms,
    bytes_received: Number.isFinite(received) ? received : 0,
    bytes_sent: measured.bytes_sent,
    request_id: measured.request_id,
    trace_id: measured.trace_id,
    jsonrpc_id: notes.jsonrpc_id ?? null,
    mcp_method: notes.mcp_method ?? null,
    mcp_server: notes.mcp_server ?? null,
    mcp_target: notes.mcp_target ?? null,
    mcp_consumer: consumer === "" ? null : consumer,
    mcp_session: measured.mcp_session,
    mcp_decision: notes.decision ?? (request.path === "/mcp" && request.method === "POST" ? "broker" : null),
    mcp_reason: notes.reason ?? null,
    mcp_protocol_version: typeof version === "string" && version !== "" ? capText(version, VERSION_MAX) : null,
  };
}

function sessionOf(request: Request, digest: (id: string) => string | undefined): string | null {
  const session = request.headers["mcp-session-id"];
  return typeof session === "string" && session !== "" ? (digest(session) ?? null) : null;
}

/** Counts the body bytes written to `response` (what Envoy's `%BYTES_SENT%` counts: no headers, no chunk framing). */
function countBodyBytes(response: Response): () => number {
  let bytes = 0;
  const count = (chunk: unknown, encoding: unknown): void => {
    if (typeof chunk === "string")
      bytes += Buffer.byteLength(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
    else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
  };
  const write = response.write.bind(response) as (...args: unknown[]) => boolean;
  const end = response.end.bind(response) as (...args: unknown[]) => Response;
  response.write = ((...args: unknown[]) => {
    count(args[0], args[1]);
    return write(...args);
  }) as Response["write"];
  response.end = ((...args: unknown[]) => {
    if (typeof args[0] !== "function") count(args[0], args[1]);
    return end(...args);
  }) as Response["end"];
  return () => bytes;
}
