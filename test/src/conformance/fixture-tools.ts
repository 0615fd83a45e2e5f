import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type CallToolResult,
  type Tool,
} from "@modelcontextprotocol/sdk/types.js";
import { BRIDGED_TOOLS } from "./fixture-bridged-tools";
import { CONTENT_TOOLS } from "./fixture-content-tools";
import { ELICITATION_TOOLS } from "./fixture-elicitation-tools";
import { INTERACTIVE_TOOLS } from "./fixture-interactive-tools";
import { listedToolDescription } from "./fixture-list-generations";
import type { FixtureSession } from "./fixture-session";
import type { FixtureShared } from "./fixture-shared";
import type { FixtureTool, ToolContext } from "./fixture-tool";

/** Every fixture tool, in the order `tools/list` returns them. */
export const FIXTURE_TOOLS: readonly FixtureTool[] = [
  ...CONTENT_TOOLS,
  ...INTERACTIVE_TOOLS,
  ...ELICITATION_TOOLS,
  ...BRIDGED_TOOLS,
];

const BY_NAME = new Map(FIXTURE_TOOLS.map((tool) => [tool.definition.name, tool]));

/** The tool list as it stands now: the same names always, one description naming the tools generation. */
export function listFixtureTools(fixture: FixtureShared): Tool[] {
  return FIXTURE_TOOLS.map(({ definition }) => ({
    ...definition,
    description: listedToolDescription(definition.name, definition.description ?? "", fixture.lists),
  }));
}

/** Serves `tools/list` and `tools/call` on `server` for one session of `fixture`. */
export function addFixtureTools(server: Server, session: FixtureSession, fixture: FixtureShared): void {
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listFixtureTools(fixture) }));
  server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
    const { name, arguments: args = {}, _meta } = request.params;
    const tool = BY_NAME.get(name);
    // An unknown tool is a protocol error (the spec's example uses -32602); everything after is a tool error.
    if (tool === undefined) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    const context: ToolContext = { extra, session, server, progressToken: _meta?.progressToken, fixture };
    return runAsToolError(tool, args, context);
  });
}

// A failure inside a tool (bad argument, client without sampling/elicitation, cancelled call) is reported to the
// model as an isError result, as the spec asks for tool execution errors, not as a JSON-RPC error.
async function runAsToolError(
  tool: FixtureTool,
  args: Record<string, unknown>,
  context: ToolContext,
): Promise<CallToolResult> {
  try {
    return await tool.run(args, context);
  } catch (err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    return { isError: true, content: [{ type: "text", text: `${tool.definition.name} failed: ${message}` }] };
  }
}
