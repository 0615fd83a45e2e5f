import * as grpc from "@grpc/grpc-js";
import { advertisesProtectedResource, endpointFor, type GatewayContext, type Logger } from "@mcp-gateway/core";
import { HealthImplementation } from "grpc-health-check";
import { sessionDigests } from "./session-digests";
import { createProcessHandler } from "./ext-proc-service";
import type { ProcessorDeps } from "./stream-processor";
import { loadExtProcService } from "./ext-proc-proto";
import { RouterMetrics } from "./metrics";

/** The name the router reports in grpc.health.v1 (besides the overall "" service). */
export const EXT_PROC_SERVICE_NAME = "envoy.service.ext_proc.v3.ExternalProcessor";

/** Dependencies of {@link createRouter}. */
export interface RouterDeps {
  context: GatewayContext;
  logger: Logger;
  metrics?: RouterMetrics;
  /** Bound on replaying a call after an upstream lost its session (default 4 s, below Envoy's 5 s message_timeout). */
  replayTimeoutMs?: number;
}

/** A built router: the gRPC server (not yet bound), its health and metrics. */
export interface Router {
  server: grpc.Server;
  health: HealthImplementation;
  metrics: RouterMetrics;
  /** Binds to `host:port` (port 0 = any free port) and starts serving; resolves to the bound port. */
  listen(address: string): Promise<number>;
  /** Stops accepting streams, lets open ones finish for up to `graceMs`, then cuts the rest. */
  shutdown(graceMs?: number): Promise<void>;
}

/** What every stream processor of a router over `context` shares; limits and guards follow config reloads. */
export function processorDeps(
  context: GatewayContext,
  options: { logger: Logger; metrics: RouterMetrics; replayTimeoutMs?: number | undefined },
): ProcessorDeps {
  return {
    pipeline: context.pipeline,
    http: context.http,
    metrics: options.metrics,
    logger: options.logger,
    maxBodyBytes: () => context.config().limits.maxBodyBytes,
    maxHeaderBytes: () => context.config().limits.maxHeaderBytes,
    hostGuard: () => context.hostGuard(),
    cors: () => context.cors(),
    advertisesMetadata: () => advertisesProtectedResource(context.config()),
    consoleEnabled: () => context.config().console.enabled,
    endpoint: (path, policy) => endpointFor(context.config(), path, policy),
    security: context.security.gate,
    sessionDigest: sessionDigests((id) => context.security.gate.sessionDigest(id)),
    replayTimeoutMs: options.replayTimeoutMs ?? 4_000,
    tracing: context.tracing,
  };
}

/**
 * The largest ext_proc message the router accepts: Envoy sends a whole buffered body (up to limits.maxBodyBytes, its
 * rendered buffer limit) in one message, plus headers (up to twice limits.maxHeaderBytes, its rendered header cap),
 * and gRPC's 4 MiB default would fail bigger bodies with 500. Fixed at start, like the rendered Envoy config.
 */
export function maxProcessMessageBytes(limits: { maxBodyBytes: number; maxHeaderBytes: number }): number {
  return Math.max(4 * 1024 * 1024, limits.maxBodyBytes + 2 * limits.maxHeaderBytes + 64 * 1024);
}

/** Builds the ext_proc router: the ExternalProcessor service plus grpc.health.v1. */
export function createRouter(deps: RouterDeps): Router {
  const metrics = deps.metrics ?? new RouterMetrics();
  const server = new grpc.Server({
    "grpc.keepalive_permit_without_calls": 1,
    "grpc.max_receive_message_length": maxProcessMessageBytes(deps.context.config().limits),
    // Nothing reads channelz (the router serves no channelz service); tracking every stream there costs CPU per request.
    "grpc.enable_channelz": 0,
  });
  const health = new HealthImplementation({ "": "NOT_SERVING", [EXT_PROC_SERVICE_NAME]: "NOT_SERVING" });
  const handler = createProcessHandler(
    processorDeps(deps.context, { logger: deps.logger, metrics, replayTimeoutMs: deps.replayTimeoutMs }),
    (open) => metrics.openStreams(open),
  );
  server.addService(loadExtProcService().definition, { Process: handler });
  health.addToServer(server);
  const setServing = (status: "SERVING" | "NOT_SERVING"): void => {
    health.setStatus("", status);
    health.setStatus(EXT_PROC_SERVICE_NAME, status);
  };
  return {
    server,
    health,
    metrics,
    listen: (address) =>
      new Promise((resolve, reject) => {
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, port) => {
          if (error) return reject(error);
          setServing("SERVING");
          resolve(port);
        });
      }),
    shutdown: (graceMs = 5_000) =>
      new Promise((resolve) => {
        setServing("NOT_SERVING");
        const force = setTimeout(() => server.forceShutdown(), graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}
