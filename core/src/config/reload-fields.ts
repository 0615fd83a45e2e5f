import { isDeepStrictEqual } from "node:util";
import type { GatewayConfig } from "./schema";

/** How a config field takes effect on a running gateway: on hot reload, or only at the next start. */
export type ReloadEffect = "reload" | "restart";

type Section<K extends keyof GatewayConfig> = NonNullable<Exclude<GatewayConfig[K], string>>;

/** A whole top-level field's effect, or (for a section whose fields differ) each of its fields'. */
type FieldEffects = {
  [K in keyof GatewayConfig]-?: ReloadEffect | { [F in keyof Section<K>]-?: ReloadEffect };
};

/**
 * Every config field, classified. "restart": read once when the process starts (listeners, stores, secrets, sinks,
 * pools), or only by `render-envoy` (`envoy`, `limits.maxBrokerRequests`: re-render and restart Envoy). A reload that
 * changes one is applied except for it, with a warning and `/status` `restartRequired` naming it. Adding a field to
 * the schema without classifying it here fails to compile and fails `reload-fields.test.ts`.
 */
export const RELOAD_EFFECTS: FieldEffects = {
  version: "reload",
  servers: "reload",
  virtualServers: "reload",
  sessions: {
    secret: "restart",
    ttl: "reload",
    store: "restart",
    backendInitTimeout: "restart",
    maxBackendSessions: "restart",
    backendIdleTimeout: "reload",
    requestStateTtl: "reload",
  },
  limits: {
    maxBodyBytes: "reload",
    upstreamTimeout: "reload",
    streamIdleTimeout: "reload",
    maxHeaderBytes: "reload",
    maxArgumentBytes: "reload",
    maxJsonDepth: "reload",
    requestTimeout: "restart",
    maxStreamsPerSession: "reload",
    maxStreamsPerConsumer: "reload",
    maxConcurrentCallsPerConsumer: "reload",
    maxUpstreamStreams: "reload",
    maxUpstreamConnections: "restart",
    maxBrokerRequests: "restart",
    maxHeldCalls: "reload",
    maxHeldCallsPerConsumer: "reload",
  },
  health: "reload",
  envoy: "restart",
  router: "restart",
  security: "reload",
  standalone: { listen: "restart", advertiseUrl: "restart", trustedProxies: "reload" },
  broker: "restart",
  auth: { apiKeys: "reload", jwt: "reload", resourceMetadata: "reload", identitySecret: "restart" },
  consumers: "reload",
  policies: "reload",
  rateLimits: "restart",
  sanitize: "reload",
  audit: { stdout: "restart", file: "restart", postgres: "restart", maxQueue: "restart", refusalBudget: "reload" },
  admin: "restart",
  metrics: "restart",
  tracing: "restart",
  // The destination is opened once at start.
  accessLog: "restart",
  // The bridge's listener is bound once; servers[].command and its siblings reload (processes started and stopped).
  stdioBridge: "restart",
  // Read per request by the broker; in Envoy mode its /ui route is rendered only when enabled (re-render to add it).
  console: "reload",
  // Read per LLM request (providers, keys, limits); mcpUrl too, so a reload may point the proxy elsewhere.
  llm: { providers: "reload", mcpUrl: "reload", maxRequestBytes: "reload" },
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldOf(value: unknown, field: string): unknown {
  return isRecord(value) ? value[field] : undefined;
}

/** `path` when the values differ; for two mappings, the path of each field that differs (`standalone.listen`). */
function differences(path: string, before: unknown, after: unknown): string[] {
  if (isDeepStrictEqual(before, after)) return [];
  if (!isRecord(before) || !isRecord(after)) return [path];
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...fields].filter((field) => !isDeepStrictEqual(before[field], after[field])).map((f) => `${path}.${f}`);
}

/**
 * The restart-only fields whose value differs between the config the process started with and `next`, as dotted
 * paths (`standalone.listen`; a whole section, e.g. `admin`, when it was added or removed).
 */
export function restartRequired(started: GatewayConfig, next: GatewayConfig): string[] {
  const changed: string[] = [];
  for (const [key, effect] of Object.entries(RELOAD_EFFECTS)) {
    const [before, after] = [fieldOf(started, key), fieldOf(next, key)];
    if (effect === "restart") changed.push(...differences(key, before, after));
    else if (effect !== "reload") {
      for (const [field, fieldEffect] of Object.entries(effect)) {
        if (fieldEffect === "restart")
          changed.push(...differences(`${key}.${field}`, fieldOf(before, field), fieldOf(after, field)));
      }
    }
  }
  return changed;
}
