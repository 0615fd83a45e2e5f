import type { Catalog } from "../../catalog/catalog";
import type { ServerConfig } from "../../config/schema";
import { GatewayError, JsonRpcErrorCode } from "../../errors";
import type { JsonRpcRequest } from "../../jsonrpc/message";
import { sessionOwner, type Caller } from "../../policy/admission";
import { seesServer } from "../../policy/visible-lists";
import type { UpstreamGeneration } from "../../upstream/upstream-session";
import { taskNotFound, type TaskIdCodec } from "../task-ids";
import { declaresTasks, tasksNotDeclared, type TaskMethod } from "./tasks-extension";
import { knownTaskIds, type TaskReplyIds } from "./task-reply";

/** What a `tasks/*` request needs to reach the task's upstream. */
export interface TaskRoute {
  server: ServerConfig;
  method: TaskMethod;
  /** The upstream's own task id: the body's `params.taskId` and the `Mcp-Name` upstream. */
  upstreamTaskId: string;
  /** The id the client named (a gateway task id), for the audit and access logs. */
  clientTaskId: string;
  /** The body as the upstream gets it: the client's, with the upstream's task id. */
  body: Buffer;
  /** The reply's task ids, back to the client's. */
  ids: TaskReplyIds;
  /** The exposed name of the tool whose call created the task (its result gets that tool's redaction), if known. */
  target: string | undefined;
}

/** What {@link routeTaskRequest} reads: the config's servers, the catalog, each server's generation. */
export interface TaskRouteDeps {
  codec: TaskIdCodec;
  servers: readonly ServerConfig[];
  catalog: Catalog;
  generation(server: string): UpstreamGeneration | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Resolves a `tasks/get|update|cancel` of a modern client to the task's upstream. A client that did not declare the
 * extension gets -32021; a `taskId` that is not a gateway id sealed for this consumer, names a server that is gone or
 * no longer a 2026 upstream, or one outside the caller's policy is "task not found" (-32602), one answer for every
 * cause so an id reveals nothing about other consumers' tasks or servers. Throws a GatewayError.
 */
export function routeTaskRequest(
  deps: TaskRouteDeps,
  caller: Caller,
  request: JsonRpcRequest & { method: TaskMethod },
): TaskRoute {
  const { id, method } = request;
  const params = request.params;
  if (!declaresTasks(params)) throw tasksNotDeclared(method, id);
  const clientTaskId = isObject(params) ? params["taskId"] : undefined;
  if (typeof clientTaskId !== "string") {
    throw new GatewayError(JsonRpcErrorCode.InvalidParams, `${method} needs params.taskId (a string)`, { id });
  }
  const consumer = sessionOwner(caller);
  const opened = deps.codec.open(clientTaskId, consumer);
  if (!opened.ok) throw taskNotFound(clientTaskId, id);
  const server = deps.servers.find((candidate) => candidate.name === opened.server);
  const usable =
    server !== undefined &&
    deps.generation(server.name) === "2026" &&
    caller.policy.allowsServer(server.name) &&
    seesServer(deps.catalog, caller.policy, server.name);
  if (!usable) throw taskNotFound(clientTaskId, id);
  const body = Buffer.from(JSON.stringify({ ...request.raw, params: { ...params, taskId: opened.taskId } }));
  const ids = knownTaskIds(
    deps.codec,
    { consumer, server: server.name, target: opened.target },
    { upstreamId: opened.taskId, clientId: clientTaskId },
  );
  return { server, method, upstreamTaskId: opened.taskId, clientTaskId, body, ids, target: opened.target };
}
