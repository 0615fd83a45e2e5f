import type { Endpoint } from "../../endpoints/endpoints";
import type { Catalog } from "../../catalog/catalog";
import type { GatewayConfig, ServerConfig } from "../../config/schema";
import type { JsonRpcRequest } from "../../jsonrpc/message";
import type { Caller } from "../../policy/admission";
import type { SecurityGate } from "../../policy/security-gate";
import { MODERN_BACKEND, modernCallHeaders } from "../../routing/modern-route";
import { withUpstreamAuth } from "../../upstream-auth/call-auth";
import type { UpstreamCall } from "../../routing/pipeline-types";
import type { RouteDecision } from "../../routing/route";
import type { UpstreamGeneration } from "../../upstream/upstream-session";
import type { TaskIdCodec } from "../task-ids";
import { createdTaskIds, type TaskReplyIds } from "./task-reply";
import { routeTaskRequest } from "./task-request";
import { declaresTasks, type TaskMethod } from "./tasks-extension";

/** What {@link taskCall} reads (the pipeline's dependencies, the codec and the client-only headers). */
export interface TaskCallDeps {
  config(): GatewayConfig;
  catalog(endpoint?: Endpoint): Catalog;
  security: SecurityGate;
  generation?: ((server: string) => UpstreamGeneration | undefined) | undefined;
  codec: TaskIdCodec;
  /** Headers carrying the client's identity, removed before the upstream (see RequestPipeline.credentialHeaders). */
  credentialHeaders: readonly string[];
  /** The upstream credentials of a call to `server` on the caller's behalf (`servers[].auth`); none when absent. */
  upstreamAuth?: ((server: ServerConfig) => Promise<Readonly<Record<string, string>>>) | undefined;
}

/**
 * The upstream call of a modern `tasks/get|update|cancel`: routed to the server its gateway id names (see
 * routeTaskRequest: -32021 undeclared, -32602 "task not found" for anything else that does not open), past the
 * caller's policy and rate limit, with the upstream's task id in the body and in `Mcp-Name`, no session, and the
 * reply's task ids mapped back to the client's. Throws a GatewayError.
 */
export async function taskCall(
  deps: TaskCallDeps,
  caller: Caller,
  message: JsonRpcRequest & { method: TaskMethod },
): Promise<UpstreamCall> {
  const routeDeps = {
    codec: deps.codec,
    servers: deps.config().servers,
    catalog: deps.catalog(caller.endpoint),
    generation: (server: string) => deps.generation?.(server),
  };
  const route = routeTaskRequest(routeDeps, caller, message);
  // Admitted as an exchange with the server (like an answer to its request): the server-level policy check passed
  // already (an unusable server is "task not found"), so this spends the consumer's rate-limit token.
  const audit = await deps.security.admit(caller, {
    method: message.method,
    kind: "response",
    exposed: "",
    server: route.server.name,
    id: message.id,
    routedBytes: route.body.length,
    args: undefined,
    session: "",
    serverVisible: true,
  });
  let auth: Readonly<Record<string, string>>;
  try {
    auth = (await deps.upstreamAuth?.(route.server)) ?? {};
  } catch (error: unknown) {
    audit.finish(null);
    throw error;
  }
  const call = {
    server: route.server,
    method: route.method,
    targetName: route.upstreamTaskId,
    requestId: message.id,
    gatewaySession: "",
    backend: MODERN_BACKEND,
    body: route.body,
    audit,
    // A task's result is the result of the tool call that created it: that tool's redaction applies.
    redactor: deps.security.redactorFor({
      server: route.server.name,
      method: "tools/call",
      target: route.target ?? "",
    }),
    tasks: route.ids,
    upstreamAuth: auth,
  };
  return withUpstreamAuth({ ...call, ...modernCallHeaders(call, deps.credentialHeaders) }, auth);
}

/**
 * The task ids of a modern `tools/call` that may create a task: the client declared the tasks extension (the
 * upstream sees its `_meta` as sent, so it may answer `resultType: "task"`), so an upstream id must be sealed for the
 * caller, the server and the tool. Undefined for any other call.
 */
export function createdTasks(
  codec: TaskIdCodec | undefined,
  consumer: string,
  decision: Extract<RouteDecision, { kind: "upstream" }>,
  message: JsonRpcRequest,
): TaskReplyIds | undefined {
  if (codec === undefined || message.method !== "tools/call" || !declaresTasks(message.params)) return undefined;
  return createdTaskIds(codec, { consumer, server: decision.target.server.name, target: decision.named.exposed });
}
