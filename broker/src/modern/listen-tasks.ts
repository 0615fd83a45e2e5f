import { declaresTasks, tasksNotDeclared, type GatewayError } from "@mcp-gateway/core";

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * A `subscriptions/listen` asking for task notifications (`notifications.taskIds`) from a client that did not declare
 * the tasks extension must be refused with -32021 (SEP-2663); the SDK's listen entry does not check it. Undefined for
 * any other request. A declaring client's `taskIds` are left out of the acknowledgement (not relayed yet).
 */
export function listenTasksRefusal(body: Record<string, unknown>): GatewayError | undefined {
  if (body["method"] !== "subscriptions/listen") return undefined;
  const params = body["params"];
  const notifications =
    isObject(params) && Object.hasOwn(params, "notifications") ? params["notifications"] : undefined;
  if (!isObject(notifications) || !Object.hasOwn(notifications, "taskIds")) return undefined;
  if (declaresTasks(params)) return undefined;
  const id = body["id"];
  return tasksNotDeclared(
    "subscriptions/listen with taskIds",
    typeof id === "string" || typeof id === "number" ? id : null,
  );
}
