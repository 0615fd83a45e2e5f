import { AsyncLocalStorage } from "node:async_hooks";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import {
  exceedsJsonDepth,
  GatewayError,
  sessionOwner,
  SlotBudget,
  takeSlots,
  type Caller,
  type GatewayContext,
  type SlotClaim,
} from "@mcp-gateway/core";
import { toNodeHandler } from "@modelcontextprotocol/node";
import { createMcpHandler, isJsonContentType, type McpHttpHandler } from "@modelcontextprotocol/server";
import { callerOf, callerToken } from "../caller";
import type { ViewRound } from "../consumer-views";
import { sendError } from "../http-errors";
import { lowerHeaders } from "../request-headers";
import { releaseOnClose } from "../response-slots";
import { decidedEra } from "../decided-era";
import { classifyPost, requestIdOf } from "./classify";
import { publishListChanges } from "./list-changes";
import { listenTasksRefusal } from "./listen-tasks";
import { ScopedEventBus } from "./listen-bus";
import { ResourceListens } from "./listen-resources";
import { buildModernServer, type ModernRequest, type ModernServerDeps } from "./modern-server";
import { capturingReplies } from "./reply-capture";

/** The gateway's 2026-07-28 front end: the POST /mcp middleware, the listen bus and its catalog-change feed. */
export interface ModernFrontEnd {
  /** POST /mcp, after authentication and the raw body: modern requests are answered here, legacy ones go on. */
  readonly middleware: RequestHandler;
  /** The per-consumer listen bus (open listen streams). */
  readonly bus: ScopedEventBus;
  /** Tells listen streams about the list changes each consumer can see (catalog changes and config reloads). */
  onListChanges(round: ViewRound): void;
  /** The callers of the open listen streams (one entry per stream). */
  listeners(): Caller[];
  /** Ends the listen streams of the admin-API (API key) consumer `consumer`, revoked: its next request is refused. */
  closeConsumer(consumer: string): number;
  /** Ends open listen streams and in-flight modern exchanges. */
  close(): Promise<void>;
}

/** Options of {@link createModernFrontEnd}: the call bridge is required; upstream list hints are optional. */
export type ModernFrontEndDeps = Pick<ModernServerDeps, "context" | "callUpstream"> &
  Partial<Pick<ModernServerDeps, "upstreamHint">>;

const ROUTED = new Set(["tools/call", "prompts/get", "resources/read", "completion/complete"]);

/**
 * Builds the modern front end. Era per request is the SDK's classifier; a modern request is served by an SDK v2
 * strict handler (`legacy: 'reject'`) whose per-request server is built for the authenticated caller. The request's
 * caller and body travel to the factory and to the listen bus in async-local storage (the SDK calls both from inside
 * `handler.fetch`), so nothing is keyed by a session and the body is read once.
 */
export function createModernFrontEnd(deps: ModernFrontEndDeps): ModernFrontEnd {
  const { context } = deps;
  const scope = new AsyncLocalStorage<ModernRequest>();
  const report = (error: unknown): void => context.logger.debug("modern request refused", { error: String(error) });
  const { bus, listens, streamTag } = listenBus(context, scope, report);
  const serverDeps: ModernServerDeps = {
    context,
    callUpstream: deps.callUpstream,
    subscribable: (server) => context.upstreams.offersResourceSubscriptions(server),
    ...(deps.upstreamHint ? { upstreamHint: deps.upstreamHint } : {}),
  };
  const handler: McpHttpHandler = createMcpHandler(
    () => {
      const request = scope.getStore();
      // Fail closed: the factory runs only inside the middleware's scope, which names the caller.
      if (!request) throw new Error("modern request without a caller scope");
      return buildModernServer(serverDeps, request);
    },
    { legacy: "reject", bus, onerror: report },
  );
  const serve = toNodeHandler(capturingReplies(handler), { onerror: report });
  const listening: Listening = { listens, streamTag, scope, serve, open: new Map() };
  const slots = new SlotBudget();
  return {
    bus,
    middleware: function serveModernPost(request: Request, response: Response, next: NextFunction): void {
      const decided = modernPost(context, request, response);
      if (decided === "next") return next();
      if (decided === "answered") return;
      const { body, method } = decided;
      const refusal = listenTasksRefusal(body);
      if (refusal) return sendError(response, refusal);
      const caller = callerOf(response);
      try {
        const claims = slotClaims(context, caller, method);
        if (claims.length > 0) releaseOnClose(response, takeSlots(slots, claims));
      } catch (error: unknown) {
        return sendError(response, error);
      }
      if (method === "subscriptions/listen") return listenWithResources(listening, caller, body, request, response);
      void scope.run(requestScope(caller, body, request, response), () => serve(request, response, body));
    },
    onListChanges(round) {
      publishListChanges(bus, round);
    },
    listeners: () => [...listening.open.values()],
    closeConsumer(consumer) {
      let closed = 0;
      for (const [response, caller] of listening.open) {
        if (caller.identity.consumer !== consumer || caller.identity.method !== "api-key") continue;
        response.destroy();
        closed++;
      }
      return closed;
    },
    close: async () => {
      listens.close();
      await handler.close();
    },
  };
}

/**
 * The listen bus, its listeners tagged with the caller and the listen stream of the request that opened them, and the
 * resource subscriptions that publish to one stream each.
 */
function listenBus(
  context: GatewayContext,
  scope: AsyncLocalStorage<ModernRequest>,
  report: (error: unknown) => void,
): { bus: ScopedEventBus; listens: ResourceListens; streamTag: AsyncLocalStorage<object> } {
  const streamTag = new AsyncLocalStorage<object>();
  const bus = new ScopedEventBus(
    () => scope.getStore()?.caller,
    report,
    () => streamTag.getStore(),
  );
  const publish = (tag: object, uri: string): number => bus.publishToStream({ kind: "resource_updated", uri }, tag);
  return { bus, listens: new ResourceListens(context, publish), streamTag };
}

/**
 * One modern request's scope: its caller, body and (JWT callers) bearer token, so requests made on its behalf to
 * per-consumer servers carry the caller's own credentials.
 */
function requestScope(caller: Caller, body: Record<string, unknown>, request: Request, response: Response) {
  const token = callerToken(request, response);
  return token === undefined ? { caller, body } : { caller, body, token };
}

/** What serving a listen request needs of the front end. */
interface Listening {
  listens: ResourceListens;
  streamTag: AsyncLocalStorage<object>;
  scope: AsyncLocalStorage<ModernRequest>;
  serve: ReturnType<typeof toNodeHandler>;
  /** The open listen streams' responses and their callers (a revoked consumer's are ended). */
  open: Map<Response, Caller>;
}

/**
 * Serves `subscriptions/listen`: its resource subscriptions are opened upstream first, so the SDK acknowledges what
 * they honour; they end when the response closes, and an upstream that ends one ends the client's stream (it listens
 * again). A refusal of the whole request (too many URIs, rate limited) is answered with the request id.
 */
function listenWithResources(
  listening: Listening,
  caller: Caller,
  body: Record<string, unknown>,
  request: Request,
  response: Response,
): void {
  const { listens, streamTag, scope, serve, open } = listening;
  void listens
    .openFor(caller, body, () => response.destroy(), callerToken(request, response))
    .then(
      (opened) => {
        response.once("close", () => {
          open.delete(response);
          opened.close();
        });
        if (response.closed) return opened.close();
        open.set(response, caller);
        void streamTag.run(opened.tag, () =>
          scope.run(requestScope(caller, opened.body, request, response), () => serve(request, response, opened.body)),
        );
      },
      (error: unknown) => sendError(response, GatewayError.from(error, requestIdOf(body))),
    );
}

/**
 * The body and method of a modern POST, "next" for one the legacy path answers, "answered" for one refused here with
 * the SDK's status and code. In standalone the forwarder has parsed and classified the body already (its full ladder,
 * refusals answered there): that decision is reused, not made again.
 */
function modernPost(
  context: GatewayContext,
  request: Request,
  response: Response,
): { body: Record<string, unknown>; method: string } | "next" | "answered" {
  const decided = decidedEra(response);
  if (decided) return decided.era === "modern" ? decided : "next";
  const body = readJsonObject(context, request);
  if (body === undefined) return "next";
  const outcome = classifyPost(lowerHeaders(request), body);
  if (outcome.kind === "legacy") return "next";
  if (outcome.kind === "reject") {
    const error = {
      code: outcome.code,
      message: outcome.message,
      ...(outcome.data === undefined ? {} : { data: outcome.data }),
    };
    response.status(outcome.httpStatus).json({ jsonrpc: "2.0", id: requestIdOf(body), error });
    return "answered";
  }
  return { body, method: outcome.messageKind === "request" ? outcome.message.method : "" };
}

/**
 * The POST body as one JSON object, or undefined to leave it to the legacy path: not JSON content, unparseable,
 * deeper than `limits.maxJsonDepth`, or not an object (a batch). The legacy path then answers exactly as before
 * (core's parseJsonRpc errors, 415), and a request that is none of these never reaches the classifier.
 */
function readJsonObject(context: GatewayContext, request: Request): Record<string, unknown> | undefined {
  if (!isJsonContentType(request.headers["content-type"] ?? null)) return undefined;
  if (!Buffer.isBuffer(request.body) || request.body.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(request.body.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return undefined;
  if (exceedsJsonDepth(value, context.config().limits.maxJsonDepth)) return undefined;
  return value as Record<string, unknown>;
}

/**
 * The budgets a modern request takes until its response closes, as on the legacy path: a routed call one of its
 * consumer's `limits.maxConcurrentCallsPerConsumer`, a listen stream (held for hours) one of its consumer's
 * `limits.maxStreamsPerConsumer`. Anonymous callers (`auth: none`) share no consumer budget; the SDK's own cap on
 * open listen streams bounds them.
 */
function slotClaims(context: GatewayContext, caller: Caller, method: string): SlotClaim[] {
  const owner = sessionOwner(caller);
  if (owner === "") return [];
  const { limits } = context.config();
  const who = `consumer ${JSON.stringify(owner)}`;
  if (ROUTED.has(method))
    return [
      { key: `call\u0000${owner}`, limit: limits.maxConcurrentCallsPerConsumer, what: `calls in flight for ${who}` },
    ];
  if (method === "subscriptions/listen")
    return [
      { key: `listen\u0000${owner}`, limit: limits.maxStreamsPerConsumer, what: `open listen streams of ${who}` },
    ];
  return [];
}
