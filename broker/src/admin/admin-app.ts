import express, { type Express, type Request, type RequestHandler, type Response } from "express";
import {
  parseChangeBody,
  parseEmptyBody,
  parseRegisterBody,
  type AuditLog,
  type AuditTap,
  type ConsumerRegistry,
  type Logger,
} from "@mcp-gateway/core";
import { adminActor, auditAdminAction, noteAdminAudit, type AdminAction } from "./admin-audit";
import { requireAdminToken } from "./admin-auth";
import { ADMIN_BODY_TYPES, adminErrorHandler, requireJsonBody, sendAdminError } from "./admin-errors";
import { configConsumerView, consumerView, type ConsumerView } from "./consumer-view";
import { auditStream } from "./audit-stream";
import { routeExactly } from "../exact-paths";
import { mountConsole, type ConsoleContext } from "../console/serve-console";

/** Dependencies of {@link createAdminApp}. */
export interface AdminAppDeps {
  registry: ConsumerRegistry;
  /** `sha256:<hex>` of the admin token (see hashApiKey); the token itself never reaches the app. */
  adminTokenHash: string;
  logger: Logger;
  /** Where register, rotate, revoke and policy changes are recorded as admin events (none: not audited). */
  audit?: AuditLog;
  /** The audit log's live tail, served as `GET /audit/stream` (none: that path is 404). */
  auditTap?: AuditTap;
  /** Told after a consumer's policy changed here (the broker in this process sends that consumer's list changes). */
  onPolicyChanged?: (consumer: string, policy: string) => void;
  /** Told after a consumer was revoked here (the broker in this process ends that consumer's open streams). */
  onRevoked?: (consumer: string) => void;
  /** Serves the web console at /ui here too (console.enabled), so its admin view reaches this API on its own origin. */
  console?: ConsoleContext;
}

/** Admin bodies are a name and a policy; 16 KiB is generous and bounds what an authenticated caller can send. */
const BODY_LIMIT = "16kb";

function nameParam(request: Request): string {
  return String(request.params.name);
}

/** Every consumer: the store's, then the config's (read-only), sorted by name. */
async function allConsumers(registry: ConsumerRegistry): Promise<ConsumerView[]> {
  const views = [...(await registry.list()).map(consumerView), ...registry.configConsumers().map(configConsumerView)];
  return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The consumer named `name`: a config consumer (read-only) or a stored one (404 when neither). */
async function oneConsumer(registry: ConsumerRegistry, name: string): Promise<ConsumerView> {
  const configured = registry.configured(name);
  return configured ? configConsumerView(configured) : consumerView(await registry.get(name));
}

function consumerRoutes(deps: AdminAppDeps): express.Router {
  const { registry, logger } = deps;
  const actor = adminActor(deps.adminTokenHash);
  // The audit middleware comes before the body parser, so a refused body is on record too.
  const change = (action: AdminAction): RequestHandler[] => [
    auditAdminAction(deps.audit, actor, action),
    requireJsonBody,
    express.json({ limit: BODY_LIMIT, type: ADMIN_BODY_TYPES }),
  ];
  // Exact paths only, as on the broker: `/Consumers` or `/consumers/` is not an endpoint (Express allows both).
  const router = express.Router({ caseSensitive: true, strict: true });
  router.post("/consumers", change("register"), async (request: Request, response: Response) => {
    const name: unknown = (request.body as { name?: unknown } | undefined)?.name;
    if (typeof name === "string") noteAdminAudit(response, { consumer: name });
    const body = parseRegisterBody(request.body);
    noteAdminAudit(response, { policy: body.policy });
    const { consumer, apiKey } = await registry.register(body.name, body.policy);
    logger.info("admin: consumer registered", {
      action: "register",
      actor,
      consumer: consumer.name,
      policy: body.policy,
    });
    response.status(201).json({ name: consumer.name, policy: consumer.policy, createdAt: consumer.createdAt, apiKey });
  });
  router.get("/consumers", async (_request, response) => {
    response.json({ consumers: await allConsumers(registry) });
  });
  router.get("/consumers/:name", async (request, response) => {
    response.json(await oneConsumer(registry, nameParam(request)));
  });
  router.patch("/consumers/:name", change("update"), async (request: Request, response: Response) => {
    const body = parseChangeBody(request.body);
    noteAdminAudit(response, { policy: body.policy });
    const { consumer, previousPolicy } = await registry.setPolicy(nameParam(request), body.policy);
    const changed = `policy ${JSON.stringify(previousPolicy)} -> ${JSON.stringify(consumer.policy)}`;
    noteAdminAudit(response, { change: changed });
    logger.info("admin: consumer policy changed", {
      action: "update",
      actor,
      consumer: consumer.name,
      change: changed,
    });
    if (previousPolicy !== consumer.policy) deps.onPolicyChanged?.(consumer.name, consumer.policy);
    response.json(consumerView(consumer));
  });
  router.post("/consumers/:name/rotate", change("rotate"), async (request: Request, response: Response) => {
    parseEmptyBody(request.body);
    const { consumer, apiKey } = await registry.rotate(nameParam(request));
    logger.info("admin: consumer key rotated", { action: "rotate", actor, consumer: consumer.name });
    response.json({ ...consumerView(consumer), apiKey });
  });
  router.delete("/consumers/:name", change("revoke"), async (request: Request, response: Response) => {
    parseEmptyBody(request.body);
    const consumer = await registry.revoke(nameParam(request));
    logger.info("admin: consumer revoked", { action: "revoke", actor, consumer: consumer.name });
    deps.onRevoked?.(consumer.name);
    response.json(consumerView(consumer));
  });
  return router;
}

/** Sets `cache-control: no-store`: admin answers carry API keys and must never sit in a cache. */
const noStore: RequestHandler = function noStore(_request, response, next) {
  response.setHeader("cache-control", "no-store");
  next();
};

/**
 * Builds the admin API's Express app (without listening): consumers' registration, policy changes, key rotation and
 * revocation behind the admin bearer token, plus an unauthenticated `/healthz` for probes (it reveals nothing).
 */
export function createAdminApp(deps: AdminAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  routeExactly(app);
  app.use(noStore);
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok" });
  });
  // Static files, public as on the gateway's port: the admin view sends the token with each API call it makes.
  if (deps.console) mountConsole(app, deps.console);
  // Authentication comes before the body is read: an anonymous caller cannot make the app parse anything.
  app.use(requireAdminToken(deps.adminTokenHash, deps.logger));
  // Bodies are read per route (after the route's audit middleware); a body sent to a route that takes none is 415
  // when it is not JSON, and otherwise unread.
  app.use(requireJsonBody);
  app.use(consumerRoutes(deps));
  if (deps.auditTap) app.get("/audit/stream", auditStream(deps.auditTap));
  app.use((_request, response) => sendAdminError(response, 404, "not found"));
  app.use(adminErrorHandler(deps.logger));
  return app;
}
