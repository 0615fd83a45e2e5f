import type { Catalog } from "../catalog/catalog";
import type { Endpoint } from "../endpoints/endpoints";
import type { GatewayConfig, ServerConfig } from "../config/schema";
import type { GatewayError } from "../errors";
import type { Logger } from "../logging";
import type { TaskIdCodec } from "../modern/task-ids";
import type { TaskReplyIds } from "../modern/tasks/task-reply";
import type { TaskMethod } from "../modern/tasks/tasks-extension";
import type { Caller } from "../policy/admission";
import type { AuditTicket } from "../policy/audit-ticket";
import type { SecurityGate } from "../policy/security-gate";
import type { ResultRedactor } from "../sanitize";
import type { BackendSessionManager } from "../session/backend-sessions";
import type { BackendSession, BackendSessionStore } from "../session/backend-store";
import type { GatewaySessionCodec } from "../session/gateway-session";
import type { UpstreamGeneration } from "../upstream/upstream-session";
import type { UpstreamCredentials } from "../upstream-auth/upstream-credentials";
import type { UpstreamMethod } from "./route";

/** An HTTP request as the gateway sees it: lower-case header names, the whole body when there is one. */
export interface IncomingRequest {
  method: string;
  headers: Readonly<Record<string, string>>;
  body?: Buffer | undefined;
  /** Who sent it (authenticated at the edge); absent only with `auth: none`. */
  caller?: Caller | undefined;
}

/** A call the gateway sends to one upstream: the rewritten body and every header to set or remove. */
export interface UpstreamCall {
  server: ServerConfig;
  method: UpstreamMethod | TaskMethod;
  /** The upstream's own name of the tool, prompt or resource (for `tasks/*`, its own task id). */
  targetName: string;
  requestId: string | number;
  gatewaySession: string;
  backend: BackendSession;
  body: Buffer;
  /** Headers to set, including `:path`, `:authority` and a `content-length` matching `body`. */
  setHeaders: Record<string, string>;
  removeHeaders: readonly string[];
  /** Completes this call's audit event with the upstream's status. */
  audit: AuditTicket;
  /** Redaction the reply needs before the client sees it; undefined when no rule applies. */
  redactor?: ResultRedactor | undefined;
  /**
   * A 2026 `resources/read` answered straight by the upstream for one authenticated consumer: an upstream's public
   * cache scope becomes private (the upstream saw the gateway's credentials, not this consumer's policy).
   */
  privateCache?: boolean | undefined;
  /** The reply's task ids as the client must see them (tasks extension); undefined when it can name no task. */
  tasks?: TaskReplyIds | undefined;
  /** The upstream credentials set on this call (`servers[].auth`), kept for a replay; secrets: never logged. */
  upstreamAuth?: Readonly<Record<string, string>> | undefined;
}

/**
 * What the pipeline learnt about a request while deciding it, for access logs: the JSON-RPC method, and for a routed
 * method the server and the target as the client named it (exposed tool or prompt name, resource URI). Client-chosen:
 * whoever writes them down caps them.
 */
export interface RequestFacts {
  method?: string;
  /** The JSON-RPC id of a request (absent for notifications and responses). */
  id?: string | number;
  server?: string;
  target?: string;
}

/** What to do with a request: plain data for the router (Envoy) and the standalone forwarder to apply. */
export type PipelineOutcome = (
  { kind: "broker" } | { kind: "upstream"; call: UpstreamCall } | { kind: "reject"; error: GatewayError }
) & { facts: RequestFacts };

/** Dependencies of a {@link RequestPipeline}; `catalog` is read on every call so hot reloads take effect. */
export interface RequestPipelineDeps {
  config: () => GatewayConfig;
  /** The catalog of an endpoint (undefined: the aggregated `/mcp`). */
  catalog: (endpoint?: Endpoint) => Catalog;
  sessions: GatewaySessionCodec;
  store: BackendSessionStore;
  backendSessions: BackendSessionManager;
  security: SecurityGate;
  /** Receives the cause of unexpected failures (the client sees only a reference). */
  logger?: Logger;
  /** The MCP generation detected for a server (see UpstreamManager.generation); absent: every upstream is 2025. */
  generation?: (server: string) => UpstreamGeneration | undefined;
  /** Seals and opens gateway task ids (tasks extension); absent: `tasks/*` go to the broker, task ids pass as sent. */
  taskIds?: TaskIdCodec;
  /** Upstream credentials (`servers[].auth`); absent: only the configured static headers go upstream. */
  credentials?: UpstreamCredentials;
  /**
   * Waits, up to the given ms, for servers configured moments ago to list (UpstreamManager.awaitNewServers); true when
   * one of them has listed. Absent: an unknown name is refused at once.
   */
  awaitNewServers?: (timeoutMs: number) => Promise<boolean>;
}
