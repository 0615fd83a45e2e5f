import { randomUUID } from "node:crypto";
import type { CallToolResult, InputRequests } from "@modelcontextprotocol/server";

// The tasks extension (io.modelcontextprotocol/tasks, SEP-2663) as the 2026 fixture serves it: an in-memory store of
// the fixture process (every request's McpServer sees the same tasks), server-directed creation, results inlined on
// tasks/get, input requests surfaced as `input_required` and answered with tasks/update.

/** The extension's identifier, under `capabilities.extensions` and the client's declared capabilities. */
export const TASKS_EXTENSION = "io.modelcontextprotocol/tasks";

/** How long a task stays readable (integer ms, `ttlMs` on the wire) and how often a client should poll. */
export const TASK_TTL_MS = 60_000;
const POLL_INTERVAL_MS = 100;

type TaskStatus = "working" | "input_required" | "completed" | "failed" | "cancelled";
const TERMINAL: ReadonlySet<TaskStatus> = new Set(["completed", "failed", "cancelled"]);

/** What a task's body may do: notice cancellation, and park the task until the client answers input requests. */
export interface TaskHandle {
  readonly signal: AbortSignal;
  /** Parks the task in `input_required` until every request has an answer (tasks/update); resolves with them all. */
  ask(requests: InputRequests): Promise<Record<string, unknown>>;
}

/** The work of one task: its tool result (an isError result is still `completed`); a throw makes it `failed`. */
export type TaskBody = (task: TaskHandle) => Promise<CallToolResult>;

interface StoredTask {
  readonly taskId: string;
  status: TaskStatus;
  readonly createdAt: string;
  lastUpdatedAt: string;
  result?: CallToolResult;
  error?: { code: number; message: string };
  pending: Record<string, unknown>;
  answers: Record<string, unknown>;
  resume?: (answers: Record<string, unknown>) => void;
  readonly abort: AbortController;
}

/** The fixture's tasks, by id (ids are random UUIDs: unguessable, and unknown ids are simply absent). */
export class TaskStore {
  private readonly tasks = new Map<string, StoredTask>();

  /** Creates the task (readable at once: durable before the CreateTaskResult leaves), starts `body`, returns the view. */
  create(body: TaskBody): Record<string, unknown> {
    const now = new Date().toISOString();
    const task: StoredTask = {
      taskId: randomUUID(),
      status: "working",
      createdAt: now,
      lastUpdatedAt: now,
      pending: {},
      answers: {},
      abort: new AbortController(),
    };
    this.tasks.set(task.taskId, task);
    setTimeout(() => this.tasks.delete(task.taskId), TASK_TTL_MS).unref();
    void this.run(task, body);
    return { resultType: "task", ...this.base(task) };
  }

  /** The DetailedTask of tasks/get, or undefined for an unknown id. */
  get(taskId: string): Record<string, unknown> | undefined {
    const task = this.tasks.get(taskId);
    if (task === undefined) return undefined;
    if (task.status === "completed") return { ...this.base(task), result: task.result };
    if (task.status === "failed") return { ...this.base(task), error: task.error };
    if (task.status === "input_required") return { ...this.base(task), inputRequests: { ...task.pending } };
    return this.base(task);
  }

  /** Delivers answers to pending input requests (unknown keys are ignored); false for an unknown id. */
  update(taskId: string, responses: Record<string, unknown>): boolean {
    const task = this.tasks.get(taskId);
    if (task === undefined) return false;
    for (const [key, answer] of Object.entries(responses)) {
      if (!Object.hasOwn(task.pending, key)) continue;
      task.answers[key] = answer;
      delete task.pending[key];
    }
    if (task.status === "input_required" && Object.keys(task.pending).length === 0) {
      this.touch(task, "working");
      task.resume?.({ ...task.answers });
    }
    return true;
  }

  /** Cancels a running task (a terminal one stays as it is: the ack is idempotent); false for an unknown id. */
  cancel(taskId: string): boolean {
    const task = this.tasks.get(taskId);
    if (task === undefined) return false;
    if (!TERMINAL.has(task.status)) {
      this.touch(task, "cancelled");
      task.abort.abort(new Error("task cancelled"));
    }
    return true;
  }

  private base(task: StoredTask): Record<string, unknown> {
    const { taskId, status, createdAt, lastUpdatedAt } = task;
    return { taskId, status, createdAt, lastUpdatedAt, ttlMs: TASK_TTL_MS, pollIntervalMs: POLL_INTERVAL_MS };
  }

  private touch(task: StoredTask, status: TaskStatus): void {
    task.status = status;
    task.lastUpdatedAt = new Date().toISOString();
  }

  private async run(task: StoredTask, body: TaskBody): Promise<void> {
    const handle: TaskHandle = {
      signal: task.abort.signal,
      ask: (requests) =>
        new Promise((resolve) => {
          task.pending = { ...requests };
          task.answers = {};
          task.resume = resolve;
          this.touch(task, "input_required");
        }),
    };
    try {
      const result = await body(handle);
      if (task.status !== "cancelled") {
        task.result = result;
        this.touch(task, "completed");
      }
    } catch (err: unknown) {
      if (task.status === "cancelled") return;
      task.error = { code: -32603, message: err instanceof Error ? err.message : String(err) };
      this.touch(task, "failed");
    }
  }
}
