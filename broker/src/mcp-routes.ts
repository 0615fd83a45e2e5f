import { SUPPORTED_PROTOCOL_VERSIONS } from "@modelcontextprotocol/sdk/types.js";
import type { NextFunction, Request, Response } from "express";
import {
  GatewayError,
  JsonRpcErrorCode,
  LOG_LEVEL_SETTING,
  parseJsonRpc,
  SESSION_HEADER,
  sessionKey,
  sessionOwner,
  SlotBudget,
  consumerTargets,
  takeSlots,
  type GatewayContext,
  type JsonRpcRequest,
  type SlotClaim,
} from "@mcp-gateway/core";
import { brokerResult, initializeResult } from "./broker-methods";
import { CONSUMER_SERVERS_METHOD, consumerServers } from "./consumer-servers";
import { noteAccess } from "./access-log";
import { callerOf, callerToken } from "./caller";
import { sendError } from "./http-errors";
import { lowerHeaders } from "./request-headers";
import { releaseOnClose } from "./response-slots";
import type { BrokerMetrics } from "./metrics";
import type { NotificationHub } from "./notification-hub";
import type { UpstreamRelay } from "./upstream-relay";

/** What the /mcp handlers need. */
export interface McpRouteDeps {
  context: GatewayContext;
  hub: NotificationHub;
  /** Relays the client's upstream GET streams onto its own (absent in unit tests of the routes alone). */
  relay?: UpstreamRelay;
  metrics: BrokerMetrics;
}

function requireJson(request: Request): void {
  const type = request.headers["content-type"] ?? "";
  if (!type.toLowerCase().startsWith("application/json")) {
    throw new GatewayError(
      JsonRpcErrorCode.InvalidRequest,
      `content-type must be application/json, got ${JSON.stringify(type)}`,
      { httpStatus: 415 },
    );
  }
}

/** POST /mcp: one JSON-RPC message per request. */
export function createPostHandler(deps: McpRouteDeps) {
  return async function handleMcpPost(request: Request, response: Response): Promise<void> {
    let method = "invalid";
    try {
      requireJson(request);
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const message = parseJsonRpc(body, deps.context.config().limits.maxJsonDepth);
      noteAccess(response, message.kind === "response" ? {} : message, "broker");
      if (message.kind !== "request") {
        // Notifications and client responses need no answer (responses to upstream requests: see ARCHITECTURE.md).
        method = message.kind === "notification" ? message.method : "response";
        await checkSession(deps, request, response);
        response.status(202).end();
        deps.metrics.requests.inc({ method: metricMethod(method), outcome: "accepted" });
        return;
      }
      method = message.method;
      if (message.method === "initialize") return answerInitialize(deps, message, response);
      const session = await checkSession(deps, request, response, message.id);
      if (message.method === "logging/setLevel") {
        await applyLogLevel(
          deps.context,
          session,
          sessionKey(callerOf(response)),
          message,
          callerToken(request, response),
        );
      }
      const caller = callerOf(response);
      const catalog = deps.context.upstreams.catalogFor(caller.endpoint);
      const result =
        message.method === CONSUMER_SERVERS_METHOD
          ? consumerServers(
              deps.context.upstreams.statuses(),
              catalog,
              caller.policy,
              (caller.endpoint?.kind ?? "aggregate") === "aggregate",
            )
          : brokerResult(catalog, message, caller.policy);
      response.status(200).json({ jsonrpc: "2.0", id: message.id, result });
      deps.metrics.requests.inc({ method: metricMethod(method), outcome: "ok" });
    } catch (error: unknown) {
      deps.metrics.requests.inc({ method: metricMethod(method), outcome: "error" });
      sendError(response, error, deps.context.logger);
    }
  };
}

const KNOWN_METHODS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "prompts/list",
  "resources/list",
  "resources/templates/list",
  "logging/setLevel",
  "notifications/initialized",
  "notifications/cancelled",
  "response",
  "invalid",
]);
const metricMethod = (method: string): string => (KNOWN_METHODS.has(method) ? method : "other");

function answerInitialize(deps: McpRouteDeps, message: JsonRpcRequest, response: Response): void {
  const result = initializeResult(message);
  const sessionId = deps.context.sessions.issue(sessionKey(callerOf(response)));
  deps.metrics.sessions.inc();
  deps.metrics.requests.inc({ method: "initialize", outcome: "ok" });
  response.status(200).setHeader(SESSION_HEADER, sessionId).json({ jsonrpc: "2.0", id: message.id, result });
}

/**
 * Checks the gateway session, then the `mcp-protocol-version` header: the spec (2025-06-18, Streamable HTTP) says a
 * request naming an unsupported version gets 400 Bad Request. An absent header is allowed (older clients).
 */
async function checkSession(
  deps: McpRouteDeps,
  request: Request,
  response: Response,
  id: string | number | null = null,
): Promise<string> {
  const owner = sessionKey(callerOf(response));
  const session = await deps.context.pipeline.checkSession(lowerHeaders(request), id, owner);
  const version = request.get("mcp-protocol-version");
  if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new GatewayError(
      JsonRpcErrorCode.InvalidRequest,
      `unsupported mcp-protocol-version ${JSON.stringify(version)}; supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(", ")}`,
      { httpStatus: 400, id },
    );
  }
  return session;
}

const LOG_LEVELS = new Set(["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]);

/**
 * `logging/setLevel` applies to the client's upstreams: the level is recorded for its gateway session (new backend
 * sessions start at it) and sent to every backend session it already has.
 */
async function applyLogLevel(
  context: GatewayContext,
  session: string,
  owner: string,
  request: JsonRpcRequest,
  token: string | undefined,
): Promise<void> {
  const level = request.params !== undefined && !Array.isArray(request.params) ? request.params["level"] : undefined;
  if (typeof level !== "string" || !LOG_LEVELS.has(level)) {
    throw new GatewayError(
      JsonRpcErrorCode.InvalidParams,
      `logging/setLevel needs params.level, one of ${[...LOG_LEVELS].join(", ")}`,
      {
        id: request.id,
      },
    );
  }
  const check = context.sessions.verify(session, owner);
  await context.store.setSetting(session, LOG_LEVEL_SETTING, level, check.ok ? check.expiresAtMs - Date.now() : 1);
  // Sent on the client's behalf: a per-consumer server gets the client's own credentials (see consumerTargets).
  const targets = await consumerTargets(context.credentials, context.config().servers, token);
  await context.backendSessions.sendToAll(session, targets, "logging/setLevel", { level });
}

/**
 * The stream budget a GET takes: one slot of its session's (`limits.maxStreamsPerSession`) and, for an authenticated
 * caller, one of its consumer's across all its sessions (`limits.maxStreamsPerConsumer`). Streams are held for hours
 * and each may hold one upstream stream per backend session, so they are counted, not rate-limited.
 */
function streamClaims(context: GatewayContext, owner: string, session: string): SlotClaim[] {
  const { limits } = context.config();
  const claims: SlotClaim[] = [
    { key: `session\u0000${session}`, limit: limits.maxStreamsPerSession, what: "open GET streams of this session" },
  ];
  if (owner !== "") {
    const what = `open GET streams of consumer ${JSON.stringify(owner)}`;
    claims.push({ key: `consumer\u0000${owner}`, limit: limits.maxStreamsPerConsumer, what });
  }
  return claims;
}

/** GET /mcp: the session's server-to-client notification stream (SSE), within the per-session and consumer caps. */
export function createGetHandler(deps: McpRouteDeps) {
  const streams = new SlotBudget();
  return async function handleMcpGet(request: Request, response: Response): Promise<void> {
    try {
      if (!(request.headers.accept ?? "").includes("text/event-stream")) {
        throw new GatewayError(JsonRpcErrorCode.InvalidRequest, "GET /mcp needs accept: text/event-stream", {
          httpStatus: 406,
        });
      }
      const session = await checkSession(deps, request, response);
      const caller = callerOf(response);
      const owner = sessionOwner(caller);
      releaseOnClose(response, takeSlots(streams, streamClaims(deps.context, owner, session)));
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        [SESSION_HEADER]: session,
      });
      response.flushHeaders();
      const check = deps.context.sessions.verify(session, sessionKey(caller));
      deps.hub.add(session, response, check.ok ? check.expiresAtMs : Date.now(), caller);
      // The relay opens the session's upstream streams on this client's behalf: with its own credentials.
      void deps.relay?.attach(session, callerToken(request, response));
    } catch (error: unknown) {
      sendError(response, error, deps.context.logger);
    }
  };
}

/** DELETE /mcp: ends the gateway session and every upstream session behind it. */
export function createDeleteHandler(deps: McpRouteDeps) {
  return async function handleMcpDelete(request: Request, response: Response): Promise<void> {
    try {
      const session = await checkSession(deps, request, response);
      const check = deps.context.sessions.verify(session, sessionKey(callerOf(response)));
      const remaining = check.ok ? check.expiresAtMs - Date.now() : 1;
      await deps.context.store.revoke(session, remaining);
      deps.hub.closeSession(session);
      deps.context.pipeline.sessionEnded(session);
      const { credentials } = deps.context;
      const targets = await consumerTargets(credentials, deps.context.config().servers, callerToken(request, response));
      await deps.context.backendSessions.endAll(session, targets);
      response.status(200).end();
    } catch (error: unknown) {
      sendError(response, error, deps.context.logger);
    }
  };
}

/** Turns body-parser failures (too large, unreadable) into JSON-RPC errors. */
export function bodyErrorHandler(error: unknown, _request: Request, response: Response, next: NextFunction): void {
  const status = (error as { status?: unknown } | null)?.status;
  if (status === 413) {
    sendError(
      response,
      new GatewayError(JsonRpcErrorCode.RequestTooLarge, "request body exceeds the gateway's limit", {
        httpStatus: 413,
      }),
    );
    return;
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    sendError(
      response,
      new GatewayError(JsonRpcErrorCode.InvalidRequest, "request body could not be read", { httpStatus: status }),
    );
    return;
  }
  next(error);
}
