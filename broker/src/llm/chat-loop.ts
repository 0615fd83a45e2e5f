import {
  chatAssistantMessage,
  chatMaxTokens,
  chatRoundRequest,
  chatToolCalls,
  chatToolMessage,
  chatUsage,
  readUsage,
  ToolCallAssembler,
  type RequestedCall,
} from "@mcp-gateway/core";
import type { LlmRun, MadeCall } from "./llm-run";
import type { SseWriter } from "./sse-writer";

type Json = Record<string, unknown>;

/** The extension field of the gateway's tool-progress chunks (`choices: []`) and of the final completion. */
export const CHAT_TOOL_CALLS_FIELD = "mcp_tool_calls";

function callReport(call: MadeCall): Json {
  return { id: call.id, name: call.tool || call.fn, status: call.result.outcome === "ok" ? "completed" : "failed" };
}

/** A provider's in-stream error's message, capped (never more than the provider said). */
export function errorText(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message.slice(0, 500) : "an error event";
}

/** Counts a streamed delta's generated text: content, reasoning, tool-call names and arguments. */
function sawDelta(run: LlmRun, delta: Json, toolDeltas: unknown): void {
  run.saw(delta["content"]);
  run.saw(delta["reasoning_content"]);
  if (!Array.isArray(toolDeltas)) return;
  for (const tool of toolDeltas as { function?: { name?: unknown; arguments?: unknown } }[]) {
    run.saw(tool.function?.name);
    run.saw(tool.function?.arguments);
  }
}

/** Adds the tool results to the conversation for the next round. */
async function answerCalls(
  run: LlmRun,
  messages: Json[],
  content: unknown,
  calls: RequestedCall[],
): Promise<MadeCall[]> {
  messages.push(chatAssistantMessage(content, calls));
  const made = await run.makeCalls(calls);
  for (const call of made) messages.push(chatToolMessage(call.id, call.result.text));
  return made;
}

/** The next round's provider request (tools offered until the round cap), admitted by the token budgets. */
async function startRound(
  run: LlmRun,
  body: Json,
  messages: Json[],
  stream: boolean,
): Promise<{ tools: LlmRun["tools"] | undefined; request: Json }> {
  const tools = run.offersTools() ? run.tools : undefined;
  const maxTokens = run.capTokens(chatMaxTokens(body));
  const request = chatRoundRequest(body, { model: run.choice.model, messages, tools, maxTokens, stream });
  await run.beforeRound(request, maxTokens);
  return { tools, request };
}

/** Runs the tool loop without streaming; the last round's completion, usage summed, is the answer. */
export async function runChat(run: LlmRun, body: Json, messages: Json[]): Promise<Json> {
  for (;;) {
    const { tools, request } = await startRound(run, body, messages, false);
    const reply = await run.provider.json("/chat/completions", request);
    run.saw(JSON.stringify(reply["choices"] ?? ""));
    await run.afterRound(readUsage(reply["usage"]));
    const message = (reply["choices"] as { message?: Json }[] | undefined)?.[0]?.message;
    const calls = chatToolCalls(message);
    if (tools === undefined || calls.length === 0)
      return { ...reply, usage: chatUsage(run.usage), [CHAT_TOOL_CALLS_FIELD]: run.calls.map(callReport) };
    await answerCalls(run, messages, message?.["content"], calls);
  }
}

/** What one streamed round came to. */
interface StreamedRound {
  calls: RequestedCall[];
  content: string;
}

/** Streams one round: text deltas go to the client as they come; tool-call deltas are kept for the gateway. */
async function streamRound(run: LlmRun, request: Json, out: SseWriter, ids: { id?: string }): Promise<StreamedRound> {
  const assembler = new ToolCallAssembler();
  let content = "";
  let usage = readUsage(undefined);
  let ended = false;
  await run.provider.stream("/chat/completions", request, (event) => {
    if (event.data === "[DONE]") {
      ended = true;
      return;
    }
    const chunk = run.provider.parseEvent(event);
    if (chunk["error"] !== undefined) throw run.provider.streamError(errorText(chunk["error"]));
    if (chunk["usage"]) usage = readUsage(chunk["usage"]);
    const choices = Array.isArray(chunk["choices"]) ? (chunk["choices"] as Json[]) : [];
    const forwarded = choices.flatMap((choice) => {
      const { tool_calls: deltas, ...delta } = (choice["delta"] ?? {}) as Json;
      assembler.add(deltas);
      sawDelta(run, delta, deltas);
      if (typeof delta["content"] === "string") content += delta["content"];
      const finish = choice["finish_reason"];
      if (finish !== null && finish !== undefined) ended = true;
      if (finish === "tool_calls") return [];
      const keep = Object.keys(delta).length > 0 || (finish !== null && finish !== undefined);
      return keep ? [{ ...choice, delta }] : [];
    });
    ids.id ??= typeof chunk["id"] === "string" ? chunk["id"] : undefined;
    if (forwarded.length > 0) out.data({ ...chunk, id: ids.id, choices: forwarded, usage: undefined });
  });
  // A stream cut short (no finish_reason, no [DONE]) is a failure, not a shorter answer.
  if (!ended) throw run.provider.streamError("the stream ended before the answer did");
  await run.afterRound(usage);
  return {
    calls: assembler.result().map((call) => ({ id: call.id, fn: call.name, arguments: call.arguments })),
    content,
  };
}

/** Runs the tool loop streaming: the model's text as it comes, tool progress as `choices: []` chunks, then [DONE]. */
export async function streamChat(run: LlmRun, body: Json, messages: Json[], out: SseWriter): Promise<void> {
  const ids: { id?: string } = {};
  const created = Math.floor(Date.now() / 1000);
  const progress = (calls: Json[]): void =>
    out.data({
      id: ids.id,
      object: "chat.completion.chunk",
      created,
      model: run.choice.model,
      choices: [],
      [CHAT_TOOL_CALLS_FIELD]: calls,
    });
  for (;;) {
    const { tools, request } = await startRound(run, body, messages, true);
    const round = await streamRound(run, request, out, ids);
    if (tools === undefined || round.calls.length === 0) break;
    progress(
      round.calls.map((call) => ({
        id: call.id,
        name: run.tools.find((t) => t.fn === call.fn)?.mcpName ?? call.fn,
        status: "in_progress",
      })),
    );
    const made = await answerCalls(run, messages, round.content || null, round.calls);
    progress(made.map(callReport));
  }
  const streamOptions = body["stream_options"] as { include_usage?: unknown } | undefined;
  if (streamOptions?.include_usage === true)
    out.data({
      id: ids.id,
      object: "chat.completion.chunk",
      created,
      model: run.choice.model,
      choices: [],
      usage: chatUsage(run.usage),
    });
  out.data("[DONE]");
  out.end();
}
