import { admissionOf, redactionOf } from "../../routing/call-admission";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";
import type { Catalog } from "../../catalog/catalog";
import { servedAt, type Endpoint } from "../../endpoints/endpoints";
import type { GatewayConfig, ServerConfig } from "../../config/schema";
import { GatewayError } from "../../errors";
import type { JsonRpcRequest } from "../../jsonrpc/message";
import type { Caller } from "../../policy/admission";
import type { AuditTicket } from "../../policy/audit-ticket";
import type { SecurityGate } from "../../policy/security-gate";
import { buildUpstreamHeaders, forwardHeaders } from "../../routing/headers";
import { route } from "../../routing/route";
import type { ResultRedactor } from "../../sanitize";
import { bodyTooLarge } from "../../security/request-limits";
import type { BackendSessionManager } from "../../session/backend-sessions";
import type { BackendSession } from "../../session/backend-store";
import type { ModernCallInput } from "./modern-call";
import { modernSessionKey, upstreamParams } from "./modern-key";

/** What modern admission needs of the gateway; functions are read per request so hot reloads take effect. */
export interface ModernAdmissionDeps {
  config: () => GatewayConfig;
  catalog: (endpoint?: Endpoint) => Catalog;
  security: SecurityGate;
  backendSessions: BackendSessionManager;
}

/** A modern client's routed request past routing, policy, size caps and rate limits: not yet sent anywhere. */
export interface ModernAdmission {
  caller: Caller;
  /** The backend-session key standing for the client (see {@link modernSessionKey}). */
  key: string;
  server: ServerConfig;
  method: ModernCallInput["method"];
  /** The target as the client named it (prefixed name or URI). */
  exposed: string;
  /** The upstream's own name or URI. */
  targetName: string;
  /** The body a first attempt sends: the gateway's request id, the upstream's names, the gateway's progress token. */
  body: Buffer;
  audit: AuditTicket;
  redactor: ResultRedactor | undefined;
}

/**
 * Admits a modern client's routed request exactly as the legacy pipeline admits a routed call: the prefixed target
 * resolved with the catalog (unknown → -32602), the policy's body cap, permission, the arguments cap and the rate
 * limits, audited with the modern key as the session (the audit log keeps only its keyed digest). Throws the refusal.
 */
export async function admitModern(
  deps: ModernAdmissionDeps,
  input: ModernCallInput,
  upstreamId: string,
): Promise<ModernAdmission> {
  const { caller, method, requestId } = input;
  const key = modernSessionKey(caller.identity.consumer, input.clientCapabilities);
  const params = upstreamParams(input.params, upstreamId);
  const raw = { jsonrpc: "2.0", id: upstreamId, method, params };
  const message: JsonRpcRequest = { kind: "request", id: upstreamId, method, params, raw };
  const decision = route(message, deps.catalog(caller.endpoint), deps.config().servers);
  if (decision.kind !== "upstream") {
    const error =
      decision.kind === "reject"
        ? decision.error.withId(requestId)
        : GatewayError.from(new Error("unrouted"), requestId);
    const subject = { method, server: null, target: null, args: undefined, session: key, id: requestId };
    await deps.security.rejected(caller, subject, error.message);
    throw error;
  }
  const limit = caller.policy.maxBodyBytes ?? deps.config().limits.maxBodyBytes;
  if (decision.body.length > limit) {
    throw bodyTooLarge(
      decision.body.length,
      limit,
      caller.policy.maxBodyBytes === undefined ? undefined : caller.policy.name,
    ).withId(requestId);
  }
  // At /mcp/<server> the result's resource URIs stay the upstream's own, as the legacy path leaves them.
  const server = servedAt(decision.target.server, caller.endpoint);
  const audit = await deps.security.admit(caller, admissionOf(decision, key, requestId));
  const redactor = deps.security.redactorFor(redactionOf(decision));
  return {
    caller,
    key,
    server,
    method,
    exposed: decision.named.exposed,
    targetName: decision.target.name,
    body: decision.body,
    audit,
    redactor,
  };
}

/**
 * The backend session of an admitted request, created with the client's capabilities when there is none (the 2025
 * upstream then asks only for what the client declared). The gateway offers the newest 2025 revision; the upstream
 * may agree to an older one.
 */
export async function modernBackend(
  deps: ModernAdmissionDeps,
  admission: ModernAdmission,
  capabilities: Readonly<Record<string, unknown>>,
): Promise<BackendSession> {
  const ttl = deps.config().sessions.ttl;
  return deps.backendSessions.acquire(
    admission.key,
    admission.server,
    LATEST_PROTOCOL_VERSION,
    ttl,
    undefined,
    capabilities,
  );
}

/** The HTTP headers of the bridge's upstream request on `backend` (configured credentials, session, version). */
export function modernUpstreamHeaders(admission: ModernAdmission, backend: BackendSession): Record<string, string> {
  const call = {
    server: admission.server,
    method: admission.method,
    targetName: admission.targetName,
    backend,
    body: admission.body,
  };
  // Nothing of the modern client's own request reaches the upstream but its params: its headers are its business.
  const client = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  return forwardHeaders(client, buildUpstreamHeaders(call));
}
