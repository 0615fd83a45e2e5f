import { checkNoClientTools } from "./chat-wire";
import { checkResponsesInput } from "./content-check";
import { invalidRequest } from "./llm-error";
import { checkFields, passedFields, passToolSettings, RESPONSES_FIELDS } from "./request-fields";
import type { ToolOutcome } from "./tool-results";
import type { OfferedTool, RequestedCall } from "./tool-offer";
import type { UsageTotals } from "./usage";

type Json = Record<string, unknown>;

/** The `server_label` of the gateway's own `mcp_call` output items. */
export const MCP_SERVER_LABEL = "mcp-gateway";

/** The request's input as a list of items (a string is one user message). */
export function responsesInput(body: Json): Json[] {
  checkNoClientTools(body);
  checkFields(body, RESPONSES_FIELDS);
  const input = body["input"];
  if (typeof input === "string" && input.length > 0) return [{ type: "message", role: "user", content: input }];
  if (Array.isArray(input) && input.length > 0) {
    checkResponsesInput(input);
    return [...(input as Json[])];
  }
  throw invalidRequest("input must be a non-empty string or array of input items", "input");
}

/** One round's provider request: the client's fields, the input so far, and the tools when offered. */
export function responsesRoundRequest(
  body: Json,
  round: {
    model: string;
    input: Json[];
    tools: readonly OfferedTool[] | undefined;
    maxTokens: number | undefined;
    stream: boolean;
  },
): Json {
  const request = passedFields(body, RESPONSES_FIELDS);
  request["model"] = round.model;
  request["input"] = round.input;
  if (round.tools && round.tools.length > 0) {
    request["tools"] = round.tools.map((tool) => ({
      type: "function",
      name: tool.fn,
      description: tool.description,
      parameters: tool.parameters,
    }));
    passToolSettings(body, request);
  }
  if (round.maxTokens !== undefined) request["max_output_tokens"] = round.maxTokens;
  if (round.stream) request["stream"] = true;
  return request;
}

/** The `function_call` items of a response's output. */
export function responsesToolCalls(output: unknown): RequestedCall[] {
  if (!Array.isArray(output)) return [];
  return (output as Json[])
    .filter((item) => item["type"] === "function_call")
    .map((item) => ({
      id: typeof item["call_id"] === "string" ? item["call_id"] : "",
      fn: typeof item["name"] === "string" ? item["name"] : "",
      arguments: typeof item["arguments"] === "string" ? item["arguments"] : "",
    }));
}

/** A tool result as an input item. */
export function functionCallOutput(callId: string, text: string): Json {
  return { type: "function_call_output", call_id: callId, output: text };
}

/**
 * A gateway-executed call as OpenAI's remote-MCP output item (`mcp_call`), so SDK clients parse it: in progress
 * (no result yet), completed (`output`) or failed (`error`).
 */
export function mcpCallItem(call: RequestedCall & { tool: string }, result?: ToolOutcome): Json {
  const item: Json = {
    type: "mcp_call",
    id: `mcp_${call.id}`,
    server_label: MCP_SERVER_LABEL,
    name: call.tool || call.fn,
    arguments: call.arguments,
    status: result === undefined ? "in_progress" : result.outcome === "ok" ? "completed" : "failed",
  };
  if (result === undefined) return item;
  return result.outcome === "ok"
    ? { ...item, output: result.text, error: null }
    : { ...item, output: null, error: result.text };
}

/** Usage in the Responses API's form. */
export function responsesUsage(usage: UsageTotals, last: unknown): Json {
  const details = typeof last === "object" && last !== null ? (last as Json) : {};
  return { ...details, input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.total };
}
