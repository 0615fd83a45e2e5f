import { setTimeout as delay } from "node:timers/promises";
import {
  CLIENT_CAPABILITIES_META_KEY,
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  fromJsonSchema,
  inputRequired,
  type CallToolResult,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { textResult } from "./fixture-tool";
import type { ModernFixtureShared } from "./modern-fixture-context";
import { TASKS_EXTENSION, type TaskBody, type TaskStore } from "./modern-fixture-task-store";
import { accepted } from "./modern-fixture-tools";

// The tools the tasks-* scenarios name (greet, slow_compute, failing_job, protocol_error_job, confirm_delete,
// multi_input, test_tool_with_task) and the extension's methods. Whether a call becomes a task is the server's choice
// (SEP-2663: no client hint): a task-supporting tool makes one when the request declares the extension, runs
// synchronously otherwise; a task-required tool refuses an undeclaring request with -32021.

type Support = "optional" | "required";
type Answer = CallToolResult | Record<string, unknown>;

const REQUIRES_TASKS = { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } };

/** Whether this request's client capabilities (the 2026 `_meta` envelope) declare the tasks extension. */
export function declaresTasks(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const capabilities = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { extensions?: Record<string, unknown> } | undefined;
  return capabilities?.extensions?.[TASKS_EXTENSION] !== undefined;
}

function refuseUndeclared(what: string): never {
  throw new MissingRequiredClientCapabilityError(REQUIRES_TASKS, `${what} needs the ${TASKS_EXTENSION} extension`);
}

const confirmForm = (message: string) =>
  inputRequired.elicit({
    message,
    requestedSchema: {
      type: "object",
      properties: { name: { type: "string" }, confirm: { type: "boolean" } },
      required: ["confirm"],
    },
  });

function seconds(args: Record<string, unknown>): number {
  return typeof args["seconds"] === "number" && args["seconds"] > 0 ? Math.min(args["seconds"], 30) : 0;
}

// One tool: its input schema, whether tasks are optional or required, and its body (the same work in or out of a task).
interface TaskTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: Record<string, unknown>;
  readonly support: Support | "none";
  run(args: Record<string, unknown>, ctx: ServerContext, tasks: TaskStore): Promise<Answer>;
}

function taskOrSync(support: Support, body: (args: Record<string, unknown>) => TaskBody): TaskTool["run"] {
  return async (args, ctx, tasks) => {
    if (declaresTasks(ctx)) return tasks.create(body(args));
    if (support === "required") refuseUndeclared("this tool");
    // Out of a task, the body runs inline with the request's own abort signal and cannot ask for input.
    return body(args)({ signal: ctx.mcpReq.signal, ask: () => Promise.reject(new Error("no task to park")) });
  };
}

const OBJECT = (properties: Record<string, unknown>, required: string[] = []): Record<string, unknown> => ({
  type: "object",
  properties,
  required,
});

/** Every tool of the tasks scenarios. */
export const TASK_TOOLS: readonly TaskTool[] = [
  {
    name: "greet",
    description: "Sync only: greets by name",
    inputSchema: OBJECT({ name: { type: "string" } }, ["name"]),
    support: "none",
    run: async (args) => textResult(`Hello, ${String(args["name"])}!`),
  },
  {
    name: "slow_compute",
    description: "Task-supporting: sleeps `seconds` then answers (cancellable while it sleeps)",
    inputSchema: OBJECT({ seconds: { type: "number" }, label: { type: "string" } }),
    support: "optional",
    run: taskOrSync("optional", (args) => async ({ signal }) => {
      await delay(seconds(args) * 1000, undefined, { signal });
      return textResult(`Computed ${String(args["label"] ?? "result")} after ${seconds(args)} s`);
    }),
  },
  {
    name: "failing_job",
    description: "Task-required: ends with a tool execution error (isError) after a short while",
    inputSchema: OBJECT({}),
    support: "required",
    run: taskOrSync("required", () => async ({ signal }) => {
      await delay(300, undefined, { signal });
      return { isError: true, content: [{ type: "text", text: "failing_job failed on purpose" }] };
    }),
  },
  {
    name: "protocol_error_job",
    description: "Task-supporting: fails with a protocol-level error",
    inputSchema: OBJECT({}),
    support: "optional",
    run: taskOrSync("optional", () => async () => {
      throw new ProtocolError(ProtocolErrorCode.InternalError, "protocol_error_job crashed on purpose");
    }),
  },
  {
    name: "confirm_delete",
    description: "Task-supporting: asks for a confirmation (elicitation) before deleting `filename`",
    inputSchema: OBJECT({ filename: { type: "string" } }),
    support: "optional",
    run: async (args, ctx, tasks) => {
      const file = String(args["filename"] ?? "file");
      if (declaresTasks(ctx)) {
        return tasks.create(async ({ ask }) => {
          const answers = await ask({ confirm: confirmForm(`Delete ${file}?`) });
          return textResult(`${confirmedOf(answers["confirm"]) ? "Deleted" : "Kept"} ${file}`);
        });
      }
      const confirmation = accepted(ctx, "confirm");
      if (confirmation === undefined)
        return inputRequired({ inputRequests: { confirm: confirmForm(`Delete ${file}?`) } });
      return textResult(`${confirmation["confirm"] === true ? "Deleted" : "Kept"} ${file}`);
    },
  },
  {
    name: "multi_input",
    description: "Task-required: asks two questions at once (two pending input requests)",
    inputSchema: OBJECT({}),
    support: "required",
    run: taskOrSync("required", () => async ({ ask }) => {
      const answers = await ask({ first: confirmForm("First question"), second: confirmForm("Second question") });
      return textResult(`Answered ${Object.keys(answers).sort().join(" and ")}`);
    }),
  },
  {
    name: "test_tool_with_task",
    description: "Task-required: asks for user_name (input-required round), then continues as a task",
    inputSchema: OBJECT({}),
    support: "required",
    run: async (_args, ctx, tasks) => {
      if (!declaresTasks(ctx)) refuseUndeclared("test_tool_with_task");
      const name = accepted(ctx, "user_name")?.["name"];
      if (typeof name !== "string") {
        const ask = inputRequired.elicit({
          message: "What is your name?",
          requestedSchema: { type: "object", properties: { name: { type: "string" } }, required: ["name"] },
        });
        return inputRequired({ inputRequests: { user_name: ask } });
      }
      return tasks.create(async ({ signal }) => {
        await delay(200, undefined, { signal });
        return textResult(`Task finished for ${name}`);
      });
    },
  },
];

const TASK_REQUIRED_TOOLS: ReadonlySet<string> = new Set(
  TASK_TOOLS.filter((tool) => tool.support === "required").map((tool) => tool.name),
);

/**
 * The -32021 answer to a `tools/call` of a task-required tool from a request that does not declare the extension, or
 * undefined. It runs at the HTTP edge, before the SDK: McpServer turns every error a tool callback throws into an
 * isError tool result, so a tool cannot refuse a call with a protocol error itself (SDK v2 2.4.0).
 */
export async function taskRequirementResponse(request: Request): Promise<Response | undefined> {
  if (request.method !== "POST") return undefined;
  const body = (await request
    .clone()
    .json()
    .catch(() => undefined)) as
    { id?: unknown; method?: unknown; params?: { name?: unknown; _meta?: Record<string, unknown> } } | undefined;
  if (body?.method !== "tools/call" || typeof body.params?.name !== "string") return undefined;
  if (!TASK_REQUIRED_TOOLS.has(body.params.name)) return undefined;
  const capabilities = body.params._meta?.[CLIENT_CAPABILITIES_META_KEY] as
    { extensions?: Record<string, unknown> } | undefined;
  if (capabilities?.extensions?.[TASKS_EXTENSION] !== undefined) return undefined;
  const error = {
    code: ProtocolErrorCode.MissingRequiredClientCapability,
    message: `Tool ${body.params.name} needs the ${TASKS_EXTENSION} extension`,
    data: REQUIRES_TASKS,
  };
  return Response.json({ jsonrpc: "2.0", id: body.id ?? null, error }, { status: 400 });
}

function confirmedOf(answer: unknown): boolean {
  const content = (answer as { action?: unknown; content?: { confirm?: unknown } } | undefined) ?? {};
  return content.action === "accept" && content.content?.confirm === true;
}

const TASK_ID_PARAMS = fromJsonSchema<{ taskId: string }>(OBJECT({ taskId: { type: "string" } }, ["taskId"]));
const UPDATE_PARAMS = fromJsonSchema<{ taskId: string; inputResponses?: Record<string, unknown> }>(
  OBJECT({ taskId: { type: "string" }, inputResponses: { type: "object" } }, ["taskId"]),
);

function unknownTask(taskId: string): never {
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown taskId: ${taskId}`);
}

/** Registers the tasks tools and tasks/get, tasks/update, tasks/cancel (each refused with -32021 when undeclared). */
export function registerModernTasks(mcp: McpServer, shared: ModernFixtureShared): void {
  const { tasks } = shared;
  for (const tool of TASK_TOOLS) {
    const inputSchema = fromJsonSchema<Record<string, unknown>>(tool.inputSchema);
    mcp.registerTool(
      tool.name,
      { description: tool.description, inputSchema },
      async (args, ctx) => (await tool.run(args, ctx, tasks)) as CallToolResult,
    );
  }
  const server = mcp.server;
  server.setRequestHandler("tasks/get", { params: TASK_ID_PARAMS }, (params, ctx) => {
    if (!declaresTasks(ctx)) refuseUndeclared("tasks/get");
    return tasks.get(params.taskId) ?? unknownTask(params.taskId);
  });
  server.setRequestHandler("tasks/update", { params: UPDATE_PARAMS }, (params, ctx) => {
    if (!declaresTasks(ctx)) refuseUndeclared("tasks/update");
    // The SDK lifts `inputResponses` out of every request's params (the MRTR retry field) into the context.
    const responses = ctx.mcpReq.inputResponses ?? params.inputResponses ?? {};
    return tasks.update(params.taskId, responses) ? {} : unknownTask(params.taskId);
  });
  server.setRequestHandler("tasks/cancel", { params: TASK_ID_PARAMS }, (params, ctx) => {
    if (!declaresTasks(ctx)) refuseUndeclared("tasks/cancel");
    return tasks.cancel(params.taskId) ? {} : unknownTask(params.taskId);
  });
}
