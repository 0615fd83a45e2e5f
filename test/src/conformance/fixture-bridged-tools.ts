import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  type ElicitRequestFormParams,
} from "@modelcontextprotocol/sdk/types.js";
import { sendNamedRequest } from "./fixture-named-request";
import { notifyEverySession } from "./fixture-shared";
import { NO_ARGUMENTS, textResult, type FixtureTool, type ToolContext } from "./fixture-tool";

// The tools the 2026-07-28 input-required scenarios call, written the 2025 way: the tool sends ordinary
// server-to-client requests (elicitation/create, sampling/createMessage, roots/list) on the call's stream and waits.
// Through the gateway, a 2026 client sees each round of requests as an input_required result: these tools are what
// the gateway's bridge (not this fixture) has to turn into rounds, keys and sealed requestState.

type Schema = ElicitRequestFormParams["requestedSchema"];

function form(field: string, type: "string" | "boolean"): Schema {
  return { type: "object", properties: { [field]: { type } }, required: [field] } as Schema;
}

async function elicit(context: ToolContext, message: string, schema: Schema): Promise<Record<string, unknown>> {
  const result = await context.extra.sendRequest(
    { method: "elicitation/create", params: { message, requestedSchema: schema } },
    ElicitResultSchema,
  );
  return result.action === "accept" ? (result.content ?? {}) : {};
}

async function sample(context: ToolContext, text: string, maxTokens: number): Promise<string> {
  const result = await context.extra.sendRequest(
    {
      method: "sampling/createMessage",
      params: { messages: [{ role: "user", content: { type: "text", text } }], maxTokens },
    },
    CreateMessageResultSchema,
  );
  const block = Array.isArray(result.content) ? result.content[0] : result.content;
  return block?.type === "text" ? block.text : `[${String(block?.type)}]`;
}

async function listRoots(context: ToolContext): Promise<number> {
  return (await context.extra.sendRequest({ method: "roots/list" }, ListRootsResultSchema)).roots.length;
}

/**
 * The SEP-2243 tool's input schema, shared by both fixtures: `region` is mirrored into the `Mcp-Param-Region` header
 * (`x-mcp-header`), `level` is not. Behind the gateway, a 2025 upstream never checks that header: the gateway must.
 */
export const X_MCP_HEADER_INPUT = {
  type: "object" as const,
  properties: {
    region: { type: "string", description: "mirrored into Mcp-Param-Region", "x-mcp-header": "Region" },
    level: { type: "integer", description: "not mirrored" },
  },
};

function tool(name: string, description: string, run: FixtureTool["run"]): FixtureTool {
  return { definition: { name, description, inputSchema: NO_ARGUMENTS }, run };
}

// Only the kinds the session's client declared at initialize (through the gateway: the modern request's
// clientCapabilities, which key its backend session), all in one round.
async function capabilityAware(context: ToolContext): Promise<ReturnType<typeof textResult>> {
  const declared = context.server.getClientCapabilities() ?? {};
  const asks: Promise<unknown>[] = [];
  if (declared.elicitation !== undefined) asks.push(elicit(context, "What is your name?", form("name", "string")));
  if (declared.sampling !== undefined) asks.push(sample(context, "Generate a short greeting", 50));
  if (declared.roots !== undefined) asks.push(listRoots(context));
  await Promise.all(asks);
  return textResult(`Capability-aware input fulfilled (${asks.length} request(s))`);
}

/** Legacy equivalents of the input-required tools, plus the server-stateless diagnostics and listen triggers. */
export const BRIDGED_TOOLS: readonly FixtureTool[] = [
  tool("test_input_required_result_elicitation", "Asks for the caller's name", async (_a, context) => {
    // Named `user_name` (the scenario's input key): the gateway uses a 2025 server's string request id as the key.
    const params = { message: "What is your name?", requestedSchema: form("name", "string") };
    const result = ElicitResultSchema.parse(await sendNamedRequest(context, "user_name", "elicitation/create", params));
    const name = result.action === "accept" ? result.content?.["name"] : undefined;
    return textResult(`Hello, ${String(name)}!`);
  }),
  tool("test_input_required_result_sampling", "Asks for an LLM completion", async (_a, context) =>
    textResult(`Sampling response: ${await sample(context, "What is the capital of France?", 100)}`),
  ),
  tool("test_input_required_result_list_roots", "Asks for the client's roots", async (_a, context) =>
    textResult(`Client exposed ${await listRoots(context)} root(s)`),
  ),
  tool("test_input_required_result_request_state", "Asks for a confirmation", async (_a, context) => {
    await elicit(context, "Please confirm", form("ok", "boolean"));
    return textResult("state-ok: the gateway resumed this call with the confirmation");
  }),
  tool("test_input_required_result_multiple_inputs", "Asks for three inputs at once", async (_a, context) => {
    // Sent concurrently: the three requests are outstanding together, so a bridge reports them in one round.
    const [{ name }, greeting, roots] = await Promise.all([
      elicit(context, "What is your name?", form("name", "string")),
      sample(context, "Generate a greeting", 50),
      listRoots(context),
    ]);
    return textResult(`${greeting} ${String(name)}: ${roots} root(s) visible`);
  }),
  tool("test_input_required_result_multi_round", "Asks two questions one after the other", async (_a, context) => {
    const { name } = await elicit(context, "Step 1: What is your name?", form("name", "string"));
    const { color } = await elicit(context, "Step 2: What is your favorite color?", form("color", "string"));
    return textResult(`Multi-round complete: ${String(name)} likes ${String(color)}`);
  }),
  tool("test_input_required_result_tampered_state", "Asks for a confirmation", async (_a, context) => {
    await elicit(context, "Please confirm", form("ok", "boolean"));
    return textResult("integrity-ok");
  }),
  tool("test_input_required_result_capabilities", "Asks only what the client declared", (_a, context) =>
    capabilityAware(context),
  ),
  // Sends sampling whatever the client declared: refusing an undeclared capability (-32021) is the gateway's job.
  tool("test_missing_capability", "Needs the sampling client capability", async (_a, context) =>
    textResult(`sampling round-trip complete: ${await sample(context, "Reply with the single word: pong", 16)}`),
  ),
  tool("test_streaming_elicitation", "Answers with its result only", async () => textResult("result only")),
  tool("test_logging_tool", "Logs once on the call's stream", async (_a, context) => {
    const params = { level: "info" as const, logger: "conformance-fixture", data: "test_logging_tool ran" };
    await context.extra.sendNotification({ method: "notifications/message", params });
    return textResult("logged");
  }),
  {
    definition: {
      name: "test_x_mcp_header",
      description: "SEP-2243: its region argument is mirrored into the Mcp-Param-Region header",
      inputSchema: X_MCP_HEADER_INPUT,
    },
    run: async (args) => textResult(`region=${typeof args["region"] === "string" ? args["region"] : "<none>"}`),
  },
  // The triggers really change a list (one description names the new generation, every name stays) and announce it
  // on EVERY open session of the fixture: an aggregating gateway re-lists from its own session and tells its clients
  // only when the aggregated list changed.
  tool("test_trigger_tool_change", "Changes the tool list and announces it to every session", async (_a, context) => {
    context.fixture.lists.tools += 1;
    const sessions = await notifyEverySession(context.fixture, (server) => server.sendToolListChanged());
    return textResult(
      `tools list changed (generation ${context.fixture.lists.tools}), announced to ${sessions} session(s)`,
    );
  }),
  tool(
    "test_trigger_prompt_change",
    "Changes the prompt list and announces it to every session",
    async (_a, context) => {
      context.fixture.lists.prompts += 1;
      const sessions = await notifyEverySession(context.fixture, (server) => server.sendPromptListChanged());
      return textResult(
        `prompts list changed (generation ${context.fixture.lists.prompts}), announced to ${sessions} session(s)`,
      );
    },
  ),
];
