import { checkChatMessages } from "./content-check";
import { invalidRequest } from "./llm-error";
import { CHAT_FIELDS, checkFields, passedFields, passToolSettings } from "./request-fields";
import type { OfferedTool, RequestedCall } from "./tool-offer";
import type { UsageTotals } from "./usage";

type Json = Record<string, unknown>;

/** The offered tools as Chat Completions function tools. */
export function chatTools(tools: readonly OfferedTool[]): Json[] {
  return tools.map((tool) => ({
    type: "function",
    function: { name: tool.fn, description: tool.description, parameters: tool.parameters },
  }));
}

/**
 * Checks a Chat Completions request body: messages present with content the gateway passes on, no tools of its own
 * (the gateway supplies them), only fields it knows (see request-fields.ts).
 */
export function checkChatRequest(body: Json): Json[] {
  const messages = body["messages"];
  if (!Array.isArray(messages) || messages.length === 0)
    throw invalidRequest("messages must be a non-empty array", "messages");
  checkNoClientTools(body);
  checkFields(body, CHAT_FIELDS);
  checkChatMessages(messages);
  return [...(messages as Json[])];
}

/** Refuses a request's own tools: the gateway offers the consumer's MCP tools and runs them itself. */
export function checkNoClientTools(body: Json): void {
  const tools = body["tools"];
  if (tools !== undefined && !(Array.isArray(tools) && tools.length === 0))
    throw invalidRequest(
      "tools are not accepted: the gateway offers the model your MCP tools and runs them itself (send no tools)",
      "tools",
    );
}

/** One round's provider request: the client's fields, the conversation so far, and the tools when offered. */
export function chatRoundRequest(
  body: Json,
  round: {
    model: string;
    messages: Json[];
    tools: readonly OfferedTool[] | undefined;
    maxTokens: number | undefined;
    stream: boolean;
  },
): Json {
  const request = passedFields(body, CHAT_FIELDS);
  request["model"] = round.model;
  request["messages"] = round.messages;
  if (round.tools && round.tools.length > 0) {
    request["tools"] = chatTools(round.tools);
    passToolSettings(body, request);
  }
  if (round.maxTokens !== undefined) {
    if (body["max_tokens"] !== undefined) request["max_tokens"] = round.maxTokens;
    else request["max_completion_tokens"] = round.maxTokens;
  }
  if (round.stream) {
    request["stream"] = true;
    // Always asked for: the gateway charges every round's tokens.
    request["stream_options"] = { include_usage: true };
  }
  return request;
}

/** The client's max_tokens / max_completion_tokens. */
export function chatMaxTokens(body: Json): unknown {
  return body["max_completion_tokens"] ?? body["max_tokens"];
}

/** The tool calls of an assistant message (`tool_calls[].function`). */
export function chatToolCalls(message: unknown): RequestedCall[] {
  const calls = (message as { tool_calls?: unknown } | undefined)?.tool_calls;
  if (!Array.isArray(calls)) return [];
  return calls.map((call: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }) => ({
    id: typeof call.id === "string" ? call.id : "",
    fn: typeof call.function?.name === "string" ? call.function.name : "",
    arguments: typeof call.function?.arguments === "string" ? call.function.arguments : "",
  }));
}

/** The assistant message announcing calls, as the next round's conversation needs it. */
export function chatAssistantMessage(content: unknown, calls: readonly RequestedCall[]): Json {
  return {
    role: "assistant",
    content: typeof content === "string" ? content : null,
    tool_calls: calls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.fn, arguments: call.arguments },
    })),
  };
}

/** A tool result message. */
export function chatToolMessage(id: string, text: string): Json {
  return { role: "tool", tool_call_id: id, content: text };
}

/** Usage in Chat Completions' form. */
export function chatUsage(usage: UsageTotals): Json {
  return { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.total };
}
