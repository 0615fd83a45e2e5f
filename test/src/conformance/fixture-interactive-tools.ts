import { setTimeout as delay } from "node:timers/promises";
import { CreateMessageResultSchema, type LoggingLevel } from "@modelcontextprotocol/sdk/types.js";
import { shouldLog } from "./fixture-session";
import {
  NO_ARGUMENTS,
  requireString,
  stringArguments,
  textResult,
  type FixtureTool,
  type ToolContext,
} from "./fixture-tool";

// Tools that talk back while they run: notifications and server→client requests sent through `extra` carry the
// call's request id (relatedRequestId), so the SDK writes them on the POST's SSE stream before the result.

// The suite expects the three steps ~50 ms apart, so a client sees them arrive one by one during the call.
const STEP_MS = 50;
const LOGGER = "conformance-fixture";

async function log(context: ToolContext, level: LoggingLevel, data: string): Promise<void> {
  if (!shouldLog(context.session, level)) return;
  await context.extra.sendNotification({ method: "notifications/message", params: { level, logger: LOGGER, data } });
}

async function step(context: ToolContext): Promise<void> {
  await delay(STEP_MS, undefined, { signal: context.extra.signal });
}

async function runWithLogging(context: ToolContext): Promise<ReturnType<typeof textResult>> {
  await log(context, "info", "Tool execution started");
  await step(context);
  await log(context, "info", "Tool processing data");
  await step(context);
  await log(context, "info", "Tool execution completed");
  return textResult("Tool with logging executed successfully");
}

async function runWithProgress(context: ToolContext): Promise<ReturnType<typeof textResult>> {
  const { progressToken, extra } = context;
  for (const [index, progress] of [0, 50, 100].entries()) {
    if (index > 0) await step(context);
    if (progressToken === undefined) continue;
    await extra.sendNotification({ method: "notifications/progress", params: { progressToken, progress, total: 100 } });
  }
  return textResult(`Tool with progress executed successfully (progressToken ${JSON.stringify(progressToken)})`);
}

async function runSampling(
  args: Record<string, unknown>,
  context: ToolContext,
): Promise<ReturnType<typeof textResult>> {
  const prompt = requireString(args, "prompt");
  // Protocol.request refuses (throws) when the client declared no `sampling` capability: that becomes a tool error.
  const result = await context.extra.sendRequest(
    {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "text", text: prompt } }], maxTokens: 100 },
    },
    CreateMessageResultSchema,
  );
  const blocks = Array.isArray(result.content) ? result.content : [result.content];
  const text = blocks.map((block) => (block.type === "text" ? block.text : `[${block.type}]`)).join(" ");
  return textResult(`LLM response: ${text}`);
}

// Sent to each subscriber as a plain server notification (no related request): it travels on the GET stream.
async function notifySubscribers(context: ToolContext): Promise<ReturnType<typeof textResult>> {
  const uris = [...context.session.subscriptions];
  for (const uri of uris) await context.server.sendResourceUpdated({ uri });
  return textResult(`Sent notifications/resources/updated for ${uris.length} subscribed resource(s)`);
}

/** Tools that send log or progress notifications, ask the client to sample, or notify resource subscribers. */
export const INTERACTIVE_TOOLS: readonly FixtureTool[] = [
  {
    definition: {
      name: "test_tool_with_logging",
      description: "Sends three info log notifications ~50 ms apart while it runs",
      inputSchema: NO_ARGUMENTS,
    },
    run: (_args, context) => runWithLogging(context),
  },
  {
    definition: {
      name: "test_tool_with_progress",
      description: "Reports progress 0, 50, 100 of 100 (~50 ms apart) when the call carries a progressToken",
      inputSchema: NO_ARGUMENTS,
    },
    run: (_args, context) => runWithProgress(context),
  },
  {
    definition: {
      name: "test_sampling",
      description: "Asks the client for an LLM completion (sampling/createMessage) of the prompt",
      inputSchema: stringArguments({ prompt: "The prompt to send to the LLM" }),
    },
    run: runSampling,
  },
  {
    definition: {
      name: "test_watched_resource_update",
      description: "Sends notifications/resources/updated for every resource this session subscribed to",
      inputSchema: NO_ARGUMENTS,
    },
    run: (_args, context) => notifySubscribers(context),
  },
];
