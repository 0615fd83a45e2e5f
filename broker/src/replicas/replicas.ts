import type { NextFunction, Request, RequestHandler, Response } from "express";
import {
  newReplicaId,
  RedisReplicaRegistry,
  type GatewayContext,
  type Logger,
  type ReplicaRegistry,
} from "@mcp-gateway/core";
import { forwardToHolder, HolderUnreachable } from "./forward-request";
import { holderOf } from "./holder";
import { dropHeader } from "../request-headers";
import { HOP_HEADER, HopMarker } from "./hop-marker";

/** A registration outlives a few missed refreshes, and a stopped replica is forgotten soon after. */
const REGISTRATION_TTL_MS = 15_000;
const REFRESH_MS = 5_000;
const WILDCARDS: ReadonlySet<string> = new Set(["0.0.0.0", "*", ""]);

/** This process as one of the gateway replicas sharing a Redis store (see {@link createReplicas}). */
export interface Replicas {
  /** This process's replica id, random at start: sealed into requestStates and relayed request ids. */
  readonly id: string;
  /** POST /mcp, after authentication: sends a request that belongs to a call held by another replica there. */
  readonly middleware: RequestHandler;
  /** Registers this replica's URL (once it listens on `host:port`) and keeps the registration alive. */
  start(host: string, port: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The replicas of one gateway deployment (standalone gateways behind a load balancer, or broker replicas behind
 * Envoy), sharing `sessions.store: redis://…` and `sessions.secret`. Each registers `id → advertised URL` in Redis;
 * a retry (or a legacy client's answer) for a call held by another replica is forwarded once to that replica, which
 * answers. Without Redis (or without a shared secret) nothing is registered or forwarded: one process holds it all.
 */
export function createReplicas(context: GatewayContext, logger: Logger, options: { standalone: boolean }): Replicas {
  const id = newReplicaId();
  const { sessions } = context.config();
  const shared = sessions.store !== "memory" && sessions.secret !== undefined;
  const hops = shared && sessions.secret !== undefined ? new HopMarker(sessions.secret) : undefined;
  const section = options.standalone ? "standalone" : "broker";
  let registry: ReplicaRegistry | undefined;
  let refresh: NodeJS.Timeout | undefined;

  async function forwardIfHeldElsewhere(request: Request, response: Response, next: NextFunction): Promise<void> {
    const marker = request.headers[HOP_HEADER];
    // Only a replica sets it; whatever a client sent is dropped here (and by the router behind Envoy).
    dropHeader(request, HOP_HEADER);
    // A valid marker: forwarded once already, so answered here whatever happens (never a second hop).
    if (registry === undefined || hops === undefined || hops.verify(firstValue(marker)) !== undefined) return next();
    const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
    const holder = holderOf(context, body);
    if (holder === undefined || holder === id) return next();
    let url: string | undefined;
    try {
      url = await registry.lookup(holder);
    } catch (error: unknown) {
      logger.warn("replica registry unavailable", { error: error instanceof Error ? error.message : String(error) });
    }
    // Gone (not registered): this replica answers, and the bridges say the call was held on a replica that is gone.
    if (url === undefined) return next();
    try {
      await forwardToHolder(new URL(url), request, response, body, hops.sign(holder));
    } catch (error: unknown) {
      if (!(error instanceof HolderUnreachable) || response.headersSent || response.destroyed) throw error;
      logger.warn("replica holding a call is unreachable", { replica: holder });
      next();
    }
  }

  return {
    id,
    middleware: (request, response, next) => {
      forwardIfHeldElsewhere(request, response, next).catch(next);
    },
    async start(host, port) {
      if (!shared) return;
      registry = await RedisReplicaRegistry.connect(sessions.store);
      const advertised = context.config()[section].advertiseUrl ?? defaultUrl(host, port);
      if (advertised === undefined) {
        logger.warn(
          `${section}.listen binds every interface and ${section}.advertiseUrl is not set: calls held by this replica can be resumed only through it (set ${section}.advertiseUrl to the URL other replicas reach it at)`,
          { replica: id },
        );
        return;
      }
      refresh = await keepRegistered(registry, id, advertised, logger);
    },
    async close() {
      clearInterval(refresh);
      const active = registry;
      registry = undefined;
      if (active === undefined) return;
      await active.unregister(id).catch(() => undefined);
      await active.close().catch(() => undefined);
    },
  };
}

/** Registers `id → url` and refreshes it until the returned timer is cleared. */
async function keepRegistered(registry: ReplicaRegistry, id: string, url: string, logger: Logger) {
  await registry.register(id, url, REGISTRATION_TTL_MS);
  const refresh = setInterval(() => {
    registry.register(id, url, REGISTRATION_TTL_MS).catch((error: unknown) => {
      logger.warn("replica registration not refreshed", { error: error instanceof Error ? error.message : "" });
    });
  }, REFRESH_MS);
  refresh.unref();
  logger.info("replica registered", { replica: id });
  return refresh;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `http://host:port` for a listener bound to one address; undefined for a wildcard (which address would it be?). */
function defaultUrl(host: string, port: number): string | undefined {
  return WILDCARDS.has(host) ? undefined : `http://${host}:${port}`;
}
