import {
  fragments,
  newId,
  type AnswerContext,
  type AnswerTurn,
  type ResolvedToolCall,
  type TurnUsage,
} from "./openai-provider-turns.js";
import type { SseEvent } from "./openai-provider-stream.js";

// Responses API wire format (POST /v1/responses), as in OpenAI's API reference and openai-node's Response,
// ResponseOutputItem and ResponseStreamEvent types.

type Json = Record<string, unknown>;
type Status = "in_progress" | "completed";

const DEFAULT_FRAGMENT = 8;

function responseUsage(usage: Required<TurnUsage>) {
  return {
    input_tokens: usage.input,
    input_tokens_details: { cached_tokens: usage.cached },
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning },
    total_tokens: usage.input + usage.output,
  };
}

const textPart = (text: string) => ({ type: "output_text", annotations: [], logprobs: [], text });

const messageItem = (id: string, status: Status, parts: Json[]) => ({
  id,
  type: "message",
  status,
  role: "assistant",
  content: parts,
});

const callItem = (id: string, call: ResolvedToolCall, status: Status, args: string) => ({
  id,
  type: "function_call",
  status,
  arguments: args,
  call_id: call.id,
  name: call.name,
});

/** One output item of a turn with the ids it will carry in every event. */
interface PlannedItem {
  itemId: string;
  text?: string[];
  call?: ResolvedToolCall;
}

function plan(turn: AnswerTurn): PlannedItem[] {
  const items: PlannedItem[] = turn.toolCalls.map((call) => ({ itemId: newId("fc_"), call }));
  if (turn.chunks.length > 0 || items.length === 0) items.unshift({ itemId: newId("msg_"), text: turn.chunks });
  return items;
}

function completedItem(item: PlannedItem): Json {
  if (item.call) return callItem(item.itemId, item.call, "completed", item.call.arguments);
  return messageItem(item.itemId, "completed", [textPart((item.text ?? []).join(""))]);
}

// The response object; request settings are echoed back as OpenAI does.
function response(id: string, ctx: AnswerContext, request: Json, status: Status, output: Json[]): Json {
  const done = status === "completed";
  return {
    id,
    object: "response",
    created_at: ctx.created,
    status,
    background: false,
    completed_at: done ? ctx.created : null,
    error: null,
    incomplete_details: null,
    instructions: request["instructions"] ?? null,
    max_output_tokens: request["max_output_tokens"] ?? null,
    metadata: request["metadata"] ?? {},
    model: ctx.model,
    output,
    parallel_tool_calls: request["parallel_tool_calls"] ?? true,
    previous_response_id: request["previous_response_id"] ?? null,
    reasoning: { effort: null, summary: null },
    store: request["store"] ?? true,
    temperature: request["temperature"] ?? 1,
    text: request["text"] ?? { format: { type: "text" } },
    tool_choice: request["tool_choice"] ?? "auto",
    tools: request["tools"] ?? [],
    top_p: request["top_p"] ?? 1,
    truncation: request["truncation"] ?? "disabled",
    usage: done ? responseUsage(ctx.usage) : null,
    user: null,
  };
}

/** The `response` object a non-streaming request gets. */
export function responseObject(turn: AnswerTurn, ctx: AnswerContext, request: Json): Json {
  return response(newId("resp_"), ctx, request, "completed", plan(turn).map(completedItem));
}

function itemEvents(item: PlannedItem, outputIndex: number, turn: AnswerTurn): Json[] {
  const ids = { item_id: item.itemId, output_index: outputIndex };
  const done = completedItem(item);
  if (item.call) {
    const call = item.call;
    const deltas = fragments(call.arguments, turn.argumentFragmentSize ?? DEFAULT_FRAGMENT).filter((d) => d !== "");
    return [
      {
        type: "response.output_item.added",
        output_index: outputIndex,
        item: callItem(item.itemId, call, "in_progress", ""),
      },
      ...deltas.map((delta) => ({ type: "response.function_call_arguments.delta", ...ids, delta })),
      { type: "response.function_call_arguments.done", ...ids, name: call.name, arguments: call.arguments },
      { type: "response.output_item.done", output_index: outputIndex, item: done },
    ];
  }
  const chunks = item.text ?? [];
  const full = chunks.join("");
  const part = { ...ids, content_index: 0 };
  return [
    {
      type: "response.output_item.added",
      output_index: outputIndex,
      item: messageItem(item.itemId, "in_progress", []),
    },
    { type: "response.content_part.added", ...part, part: textPart("") },
    ...chunks
      .filter((c) => c !== "")
      .map((delta) => ({ type: "response.output_text.delta", ...part, delta, logprobs: [] })),
    { type: "response.output_text.done", ...part, text: full, logprobs: [] },
    { type: "response.content_part.done", ...part, part: textPart(full) },
    { type: "response.output_item.done", output_index: outputIndex, item: done },
  ];
}

/** The SSE events of a streamed response: `event: <type>` lines, `sequence_number` counting from 0. */
export function responseEvents(turn: AnswerTurn, ctx: AnswerContext, request: Json): SseEvent[] {
  const id = newId("resp_");
  const items = plan(turn);
  const started = response(id, ctx, request, "in_progress", []);
  const events: Json[] = [
    { type: "response.created", response: started },
    { type: "response.in_progress", response: started },
    ...items.flatMap((item, index) => itemEvents(item, index, turn)),
    { type: "response.completed", response: response(id, ctx, request, "completed", items.map(completedItem)) },
  ];
  return events.map((event, sequence) => ({
    event: String(event["type"]),
    data: JSON.stringify({ ...event, sequence_number: sequence }),
  }));
}
