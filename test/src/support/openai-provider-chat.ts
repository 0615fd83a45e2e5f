import {
  fragments,
  newId,
  type AnswerContext,
  type AnswerTurn,
  type ResolvedToolCall,
  type TurnUsage,
} from "./openai-provider-turns.js";
import type { SseEvent } from "./openai-provider-stream.js";

// Chat Completions wire format (POST /v1/chat/completions), as in OpenAI's API reference and openai-node's
// ChatCompletion / ChatCompletionChunk types.

const FINGERPRINT = "fp_scripted";
const DEFAULT_FRAGMENT = 8;

function chatUsage(usage: Required<TurnUsage>) {
  return {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: usage.cached, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoning,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

const finishReason = (turn: AnswerTurn) => (turn.toolCalls.length > 0 ? "tool_calls" : "stop");

const wireCall = (call: ResolvedToolCall) => ({
  id: call.id,
  type: "function",
  function: { name: call.name, arguments: call.arguments },
});

/** The `chat.completion` object a non-streaming request gets. */
export function chatCompletion(turn: AnswerTurn, ctx: AnswerContext): Record<string, unknown> {
  const content = turn.chunks.join("");
  const message: Record<string, unknown> = {
    role: "assistant",
    content: content === "" && turn.toolCalls.length > 0 ? null : content,
    refusal: null,
    annotations: [],
  };
  if (turn.toolCalls.length > 0) message["tool_calls"] = turn.toolCalls.map(wireCall);
  return {
    id: newId("chatcmpl-"),
    object: "chat.completion",
    created: ctx.created,
    model: ctx.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(turn) }],
    usage: chatUsage(ctx.usage),
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
  };
}

// The deltas of choice 0 in order: role first (with the first content or tool call), text, then each tool call
// opened with id/type/name and empty arguments, followed by its argument fragments.
function deltas(turn: AnswerTurn): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (turn.chunks.length > 0 || turn.toolCalls.length === 0) {
    out.push({ role: "assistant", content: "", refusal: null });
    for (const chunk of turn.chunks) out.push({ content: chunk });
  }
  const size = turn.argumentFragmentSize ?? DEFAULT_FRAGMENT;
  turn.toolCalls.forEach((call, index) => {
    const opening = { index, id: call.id, type: "function", function: { name: call.name, arguments: "" } };
    out.push(
      out.length === 0 ? { role: "assistant", content: null, tool_calls: [opening] } : { tool_calls: [opening] },
    );
    for (const part of fragments(call.arguments, size)) {
      if (part !== "") out.push({ tool_calls: [{ index, function: { arguments: part } }] });
    }
  });
  return out;
}

/**
 * The SSE events of a streamed answer: `chat.completion.chunk` objects ending with `finish_reason`, then (only with
 * `stream_options.include_usage`) a usage chunk with `choices: []`, then `[DONE]`. With usage on, every other chunk
 * carries `usage: null`, as OpenAI documents.
 */
export function chatChunks(turn: AnswerTurn, ctx: AnswerContext, includeUsage: boolean): SseEvent[] {
  const id = newId("chatcmpl-");
  const chunk = (choices: unknown[], usage?: unknown) => ({
    id,
    object: "chat.completion.chunk",
    created: ctx.created,
    model: ctx.model,
    service_tier: "default",
    system_fingerprint: FINGERPRINT,
    choices,
    ...(includeUsage ? { usage: usage ?? null } : {}),
  });
  const choice = (delta: unknown, finish: string | null = null) => ({
    index: 0,
    delta,
    logprobs: null,
    finish_reason: finish,
  });
  const chunks = deltas(turn).map((delta) => chunk([choice(delta)]));
  chunks.push(chunk([choice({}, finishReason(turn))]));
  if (includeUsage) chunks.push(chunk([], chatUsage(ctx.usage)));
  return [...chunks.map((data) => ({ data: JSON.stringify(data) })), { data: "[DONE]" }];
}
