import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../../errors";

// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) as the gateway routes it: which requests belong to it
// and whether a request declared it in its 2026 `_meta` envelope.

/** The extension's identifier, under `capabilities.extensions` of both sides. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** The request `_meta` key of the client's capabilities (2026-07-28). */
const CLIENT_CAPABILITIES_META_KEY = "io.modelcontextprotocol/clientCapabilities";

/** The extension's methods: each names one task by `params.taskId` (and `Mcp-Name`). */
export type TaskMethod = "tasks/get" | "tasks/update" | "tasks/cancel";

const TASK_METHODS: ReadonlySet<string> = new Set<TaskMethod>(["tasks/get", "tasks/update", "tasks/cancel"]);

/** True for `tasks/get`, `tasks/update` and `tasks/cancel`. */
export function isTaskMethod(method: string): method is TaskMethod {
  return TASK_METHODS.has(method);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Whether a request's params declare the tasks extension in `_meta` client capabilities: present with any value, as
 * SDK servers read it (so the gateway never misses a task an upstream creates). Own keys only: inherited names such
 * as `__proto__` declare nothing.
 */
export function declaresTasks(params: unknown): boolean {
  if (!isObject(params)) return false;
  const meta = Object.hasOwn(params, "_meta") ? params["_meta"] : undefined;
  if (!isObject(meta) || !Object.hasOwn(meta, CLIENT_CAPABILITIES_META_KEY)) return false;
  const capabilities = meta[CLIENT_CAPABILITIES_META_KEY];
  if (!isObject(capabilities) || !Object.hasOwn(capabilities, "extensions")) return false;
  const extensions = capabilities["extensions"];
  return (
    isObject(extensions) && Object.hasOwn(extensions, TASKS_EXTENSION) && extensions[TASKS_EXTENSION] !== undefined
  );
}

/** 400 / -32021 for a tasks request from a client that did not declare the extension (SEP-2663, as SDK servers do). */
export function tasksNotDeclared(method: string, id: JsonRpcId): GatewayError {
  return new GatewayError(
    JsonRpcErrorCode.MissingRequiredClientCapability,
    `${method} needs the ${TASKS_EXTENSION} extension in the request's client capabilities`,
    { httpStatus: 400, id, data: { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } } },
  );
}
