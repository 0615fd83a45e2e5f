import express, { type Express, type Request, type RequestHandler } from "express";
import { ConsumerError, lookupOwn, type ConsumerRegistry, type Logger } from "@mcp-gateway/core";
import { requireAdminToken } from "./admin-auth";
import { adminErrorHandler, requireJsonBody, sendAdminError } from "./admin-errors";
import { consumerView } from "./consumer-view";
import { routeExactly } from "../exact-paths";

/** Dependencies of {@link createAdminApp}. */
export interface AdminAppDeps {
  registry: ConsumerRegistry;
  /** `sha256:<hex>` of the admin token (see hashApiKey); the token itself never reaches the app. */
  adminTokenHash: string;
  logger: Logger;
}

/** Admin bodies are a name and a policy; 16 KiB is generous and bounds what an authenticated caller can send. */
const BODY_LIMIT = "16kb";

function requiredString(body: unknown, field: string): string {
  const value =
    typeof body === "object" && body !== null ? lookupOwn(body as Record<string, unknown>, field) : undefined;
  if (typeof value !== "string" || value === "") {
    throw new ConsumerError(400, `${field} is required and must be a non-empty string`, { field });
  }
  return value;
}

function nameParam(request: Request): string {
  return String(request.params.name);
}

function consumerRoutes(deps: AdminAppDeps): express.Router {
  const { registry, logger } = deps;
  // Exact paths only, as on the broker: `/Consumers` or `/consumers/` is not an endpoint (Express allows both).
  const router = express.Router({ caseSensitive: true, strict: true });
  router.post("/consumers", async (request, response) => {
    if (typeof request.body !== "object" || request.body === null || Array.isArray(request.body)) {
      throw new ConsumerError(400, "body must be a JSON object with name and policy");
    }
    const name = requiredString(request.body, "name");
    const policy = requiredString(request.body, "policy");
    const { consumer, apiKey } = await registry.register(name, policy);
    logger.info("admin: consumer registered", { action: "register", consumer: consumer.name, policy });
    response.status(201).json({ name: consumer.name, policy: consumer.policy, createdAt: consumer.createdAt, apiKey });
  });
  router.get("/consumers", async (_request, response) => {
    response.json({ consumers: (await registry.list()).map(consumerView) });
  });
  router.get("/consumers/:name", async (request, response) => {
    response.json(consumerView(await registry.get(nameParam(request))));
  });
  router.post("/consumers/:name/rotate", async (request, response) => {
    const { consumer, apiKey } = await registry.rotate(nameParam(request));
    logger.info("admin: consumer key rotated", { action: "rotate", consumer: consumer.name });
    response.json({ ...consumerView(consumer), apiKey });
  });
  router.delete("/consumers/:name", async (request, response) => {
    const consumer = await registry.revoke(nameParam(request));
    logger.info("admin: consumer revoked", { action: "revoke", consumer: consumer.name });
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
 * Builds the admin API's Express app (without listening): consumers' registration, key rotation and revocation
 * behind the admin bearer token, plus an unauthenticated `/healthz` for probes (it reveals nothing).
 */
export function createAdminApp(deps: AdminAppDeps): Express {
  const app = express();
  app.disable("x-powered-by");
  routeExactly(app);
  app.use(noStore);
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok" });
  });
  // Authentication comes before the body is read: an anonymous caller cannot make the app parse anything.
  app.use(requireAdminToken(deps.adminTokenHash, deps.logger));
  app.use(requireJsonBody, express.json({ limit: BODY_LIMIT, type: "application/json" }));
  app.use(consumerRoutes(deps));
  app.use((_request, response) => sendAdminError(response, 404, "not found"));
  app.use(adminErrorHandler(deps.logger));
  return app;
}
