import type { TaskIdCodec } from "../task-ids";

// How a reply from a 2026 upstream gets the client's task ids in place of the upstream's: a task an upstream creates
// (a `tools/call` answered with `resultType: "task"`) gets a freshly sealed gateway id; a reply to `tasks/*` (and a
// `notifications/tasks` on its stream) names the task the client asked about, so it gets back the id the client sent.

/** The task ids of one routed call's reply, as the reply rewriter applies them. */
export interface TaskReplyIds {
  /** Whether the call may create a task: its result with `resultType: "task"` carries a new upstream id to seal. */
  readonly creates: boolean;
  /** The id the client is to see for one of the server's own task ids. */
  clientId(upstreamTaskId: string): string;
}

/** Who owns the tasks of one call's reply: the caller's consumer, the upstream server, the tool called (if known). */
export interface TaskReplyOwner {
  consumer: string;
  server: string;
  target?: string | undefined;
}

/**
 * The ids of a call that may create a task (a `tools/call` declaring the extension). Gateway ids carry no expiry of
 * their own: the task's `ttlMs` may change over its life (SEP-2663), so the upstream alone says when it is gone.
 */
export function createdTaskIds(codec: TaskIdCodec, owner: TaskReplyOwner): TaskReplyIds {
  return { creates: true, clientId: (taskId) => codec.seal({ ...owner, taskId }) };
}

/**
 * The ids of a `tasks/*` call about one task: its upstream id maps back to the very id the client sent (a client
 * compares them); any other id the upstream names is sealed for this consumer and server like a new one.
 */
export function knownTaskIds(
  codec: TaskIdCodec,
  owner: TaskReplyOwner,
  task: { upstreamId: string; clientId: string },
): TaskReplyIds {
  return {
    creates: false,
    clientId: (taskId) => (taskId === task.upstreamId ? task.clientId : codec.seal({ ...owner, taskId })),
  };
}

type Json = Record<string, unknown>;

/**
 * A result (or `notifications/tasks` params) with the client's task id; the same object when nothing changed. A
 * result that creates a task is recognised by `resultType: "task"` only when the call may create one; a `tasks/*`
 * result names its task in `taskId` whatever its status. `prefix` applies the server's resource URIs to the task's
 * inlined `result` (what the request would have returned synchronously).
 */
export function withClientTaskId(task: Json, ids: TaskReplyIds, prefix: (result: Json) => Json): Json {
  if (typeof task["taskId"] !== "string") return task;
  if (ids.creates && task["resultType"] !== "task") return task;
  const out: Json = { ...task, taskId: ids.clientId(task["taskId"]) };
  const inlined = task["result"];
  if (inlined !== null && typeof inlined === "object" && !Array.isArray(inlined))
    out["result"] = prefix(inlined as Json);
  return out;
}
