import { setTimeout as delay } from "node:timers/promises";
import {
  acceptedContent,
  fromJsonSchema,
  inputRequired,
  type CallToolResult,
  type InputRequiredResult,
  type McpServer,
  type ServerContext,
} from "@modelcontextprotocol/server";
import { X_MCP_HEADER_INPUT } from "./fixture-bridged-tools";
import { STATIC_CONTENT_TOOLS } from "./fixture-content-tools";
import { ENUM_VARIANTS, USER_INFO, WITH_DEFAULTS, type RequestedSchema } from "./fixture-elicitation-tools";
import { listedToolDescription } from "./fixture-list-generations";
import { NO_ARGUMENTS, textResult } from "./fixture-tool";
import type { ModernFixtureShared } from "./modern-fixture-context";

// The tools the 2025-11-25 scenarios call, written the 2026 way: no server-to-client requests (sampling and
// elicitation are input-required results the client, or a gateway bridging a 2025 client, answers), logs only when
// the request asked for a level, list/resource changes published on the listen bus.

type ToolAnswer = CallToolResult | InputRequiredResult;
type ToolRun = (args: Record<string, unknown>, ctx: ServerContext, shared: ModernFixtureShared) => Promise<ToolAnswer>;

/** A 2026 fixture tool: its name, description, JSON input schema and handler. */
export interface ModernTool {
  readonly name: string;
  readonly description: string;
  readonly inputSchema?: Record<string, unknown>;
  readonly run: ToolRun;
}

// The suite expects the steps ~50 ms apart, so a client sees them arrive one by one during the call.
const STEP_MS = 50;
const PROMPT_ARGUMENT = {
  type: "object",
  properties: { prompt: { type: "string", description: "The prompt to send to the LLM" } },
  required: ["prompt"],
};
const MESSAGE_ARGUMENT = {
  type: "object",
  properties: { message: { type: "string", description: "The message to show the user" } },
  required: ["message"],
};

function elicitTool(name: string, description: string, schema: RequestedSchema, prefix: string): ModernTool {
  const run: ToolRun = async (args, ctx) => {
    const answer = ctx.mcpReq.inputResponses?.["form"] as { action?: unknown; content?: unknown } | undefined;
    if (typeof answer?.action !== "string") {
      const message = typeof args["message"] === "string" ? args["message"] : "Please fill in the form";
      return inputRequired({ inputRequests: { form: inputRequired.elicit({ message, requestedSchema: schema }) } });
    }
    return textResult(`${prefix}: action=${answer.action}, content=${JSON.stringify(answer.content ?? {})}`);
  };
  const inputSchema = name === "test_elicitation" ? MESSAGE_ARGUMENT : NO_ARGUMENTS;
  return { name, description, inputSchema, run };
}

async function sampling(args: Record<string, unknown>, ctx: ServerContext): Promise<ToolAnswer> {
  const answer = ctx.mcpReq.inputResponses?.["completion"] as
    { content?: { type?: string; text?: unknown } } | undefined;
  if (answer?.content === undefined) {
    const text = typeof args["prompt"] === "string" ? args["prompt"] : "";
    return inputRequired({
      inputRequests: {
        completion: inputRequired.createMessage({
          messages: [{ role: "user", content: { type: "text", text } }],
          maxTokens: 100,
        }),
      },
    });
  }
  const text = typeof answer.content.text === "string" ? answer.content.text : `[${String(answer.content.type)}]`;
  return textResult(`LLM response: ${text}`);
}

async function withLogging(ctx: ServerContext): Promise<ToolAnswer> {
  // ctx.mcpReq.log is gated on the request's _meta logLevel, as 2026-07-28 requires.
  for (const [index, data] of [
    "Tool execution started",
    "Tool processing data",
    "Tool execution completed",
  ].entries()) {
    if (index > 0) await delay(STEP_MS, undefined, { signal: ctx.mcpReq.signal });
    await ctx.mcpReq.log("info", data, "conformance-fixture");
  }
  return textResult("Tool with logging executed successfully");
}

async function withProgress(ctx: ServerContext): Promise<ToolAnswer> {
  const progressToken = ctx.mcpReq._meta?.progressToken;
  for (const [index, progress] of [0, 50, 100].entries()) {
    if (index > 0) await delay(STEP_MS, undefined, { signal: ctx.mcpReq.signal });
    if (progressToken === undefined) continue;
    await ctx.mcpReq.notify({ method: "notifications/progress", params: { progressToken, progress, total: 100 } });
  }
  return textResult(`Tool with progress executed successfully (progressToken ${JSON.stringify(progressToken)})`);
}

/** The 2025-era tool surface served the 2026 way, plus the listen triggers of the server-stateless scenario. */
export const MODERN_BASE_TOOLS: readonly ModernTool[] = [
  {
    name: "test_tool_with_logging",
    description: "Logs three info messages ~50 ms apart",
    run: (_a, ctx) => withLogging(ctx),
  },
  { name: "test_tool_with_progress", description: "Reports progress 0, 50, 100", run: (_a, ctx) => withProgress(ctx) },
  {
    name: "test_sampling",
    description: "Asks for an LLM completion of the prompt (input-required sampling)",
    inputSchema: PROMPT_ARGUMENT,
    run: sampling,
  },
  elicitTool("test_elicitation", "Asks the user for a username and an email address", USER_INFO, "User response"),
  elicitTool(
    "test_elicitation_sep1034_defaults",
    "Elicits a form with defaults",
    WITH_DEFAULTS,
    "Elicitation completed",
  ),
  elicitTool(
    "test_elicitation_sep1330_enums",
    "Elicits all SEP-1330 enum shapes",
    ENUM_VARIANTS,
    "Elicitation completed",
  ),
  {
    name: "test_watched_resource_update",
    description: "Publishes notifications/resources/updated for test://watched-resource on the listen bus",
    run: async (_a, _ctx, shared) => {
      shared.notify.resourceUpdated("test://watched-resource");
      return textResult("Sent notifications/resources/updated for test://watched-resource");
    },
  },
  // The triggers really change a list (one description names the new generation, every name stays) and publish the
  // change on the handler's bus, which reaches every open listen stream of the fixture.
  {
    name: "test_trigger_tool_change",
    description: "Changes the tool list and publishes notifications/tools/list_changed on the listen bus",
    run: async (_a, _ctx, shared) => {
      shared.lists.tools += 1;
      shared.notify.toolsChanged();
      return textResult(`tools list changed (generation ${shared.lists.tools}), published`);
    },
  },
  {
    name: "test_trigger_prompt_change",
    description: "Changes the prompt list and publishes notifications/prompts/list_changed on the listen bus",
    run: async (_a, _ctx, shared) => {
      shared.lists.prompts += 1;
      shared.notify.promptsChanged();
      return textResult(`prompts list changed (generation ${shared.lists.prompts}), published`);
    },
  },
  {
    name: "test_missing_capability",
    description: "Needs the sampling client capability (an undeclared one is refused with -32021 by the SDK)",
    run: async (_a, ctx) =>
      ctx.mcpReq.inputResponses?.["llm_answer"] === undefined
        ? inputRequired({
            inputRequests: {
              llm_answer: inputRequired.createMessage({
                messages: [{ role: "user", content: { type: "text", text: "Reply with the single word: pong" } }],
                maxTokens: 16,
              }),
            },
          })
        : textResult("sampling round-trip complete"),
  },
  {
    name: "test_streaming_elicitation",
    description: "Answers with result frames only: a 2026 response stream never carries a server request",
    run: async () => textResult("no server-to-client request on this stream"),
  },
  {
    name: "test_logging_tool",
    description: "Logs once; delivered only when the request's _meta sets a logLevel",
    run: async (_a, ctx) => {
      await ctx.mcpReq.log("info", "test_logging_tool ran", "conformance-fixture");
      return textResult("logged through the request-scoped channel");
    },
  },
  {
    name: "test_x_mcp_header",
    description: "SEP-2243: its region argument is mirrored into the Mcp-Param-Region header",
    inputSchema: X_MCP_HEADER_INPUT,
    run: async (args) => textResult(`region=${typeof args["region"] === "string" ? args["region"] : "<none>"}`),
  },
];

/** Registers the static content tools and `tools` on `mcp`; each handler gets the fixture's shared bus and codec. */
export function registerModernTools(mcp: McpServer, tools: readonly ModernTool[], shared: ModernFixtureShared): void {
  for (const tool of STATIC_CONTENT_TOOLS) {
    const { name, description, inputSchema } = tool.definition;
    mcp.registerTool(name, { description, inputSchema: fromJsonSchema<Record<string, unknown>>(inputSchema) }, (args) =>
      tool.answer(args),
    );
  }
  for (const tool of tools) {
    const inputSchema = fromJsonSchema<Record<string, unknown>>(tool.inputSchema ?? NO_ARGUMENTS);
    const description = listedToolDescription(tool.name, tool.description, shared.lists);
    mcp.registerTool(tool.name, { description, inputSchema }, (args, ctx) => tool.run(args, ctx, shared));
  }
}

/** The accepted elicitation content under `key`, if the retry carried one. */
export function accepted(ctx: ServerContext, key: string): Record<string, unknown> | undefined {
  return acceptedContent(ctx.mcpReq.inputResponses, key);
}
