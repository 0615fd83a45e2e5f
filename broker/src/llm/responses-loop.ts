import {
  functionCallOutput,
  mcpCallItem,
  readUsage,
  responsesRoundRequest,
  responsesToolCalls,
  responsesUsage,
  type RequestedCall,
} from "@mcp-gateway/core";
import { errorText } from "./chat-loop";
import type { LlmRun, MadeCall } from "./llm-run";
import type { SseWriter } from "./sse-writer";

type Json = Record<string, unknown>;

/** Adds a round's output and the tool results to the input of the next round. */
async function answerCalls(run: LlmRun, input: Json[], output: unknown, calls: RequestedCall[]): Promise<MadeCall[]> {
  if (Array.isArray(output)) input.push(...(output as Json[]));
  const made = await run.makeCalls(calls);
  for (const call of made) input.push(functionCallOutput(call.id, call.result.text));
  return made;
}

function roundRequest(
  run: LlmRun,
  body: Json,
  input: Json[],
  stream: boolean,
): { request: Json; offered: boolean; maxTokens: number | undefined } {
  const tools = run.offersTools() ? run.tools : undefined;
  const maxTokens = run.capTokens(body["max_output_tokens"]);
  return {
    request: responsesRoundRequest(body, { model: run.choice.model, input, tools, maxTokens, stream }),
    offered: tools !== undefined,
    maxTokens,
  };
}

/** Runs the tool loop over `input` (checked by responsesInput) without streaming: the last response, the gateway's `mcp_call` items first, usage summed. */
export async function runResponses(run: LlmRun, body: Json, input: Json[]): Promise<Json> {
  const items: Json[] = [];
  for (;;) {
    const { request, offered, maxTokens } = roundRequest(run, body, input, false);
    await run.beforeRound(request, maxTokens);
    const reply = await run.provider.json("/responses", request);
    run.saw(JSON.stringify(reply["output"] ?? ""));
    await run.afterRound(readUsage(reply["usage"]));
    const calls = responsesToolCalls(reply["output"]);
    if (!offered || calls.length === 0) {
      const output = Array.isArray(reply["output"]) ? (reply["output"] as Json[]) : [];
      return { ...reply, output: [...items, ...output], usage: responsesUsage(run.usage, reply["usage"]) };
    }
    const made = await answerCalls(run, input, reply["output"], calls);
    items.push(...made.map((call) => mcpCallItem(call, call.result)));
  }
}

/** The client's stream: one response, events numbered in order, output indexes across all rounds. */
class ResponsesStream {
  private sequence = 0;
  readonly output: Json[] = [];
  started = false;

  constructor(private readonly out: SseWriter) {}

  send(type: string, payload: Json): void {
    this.out.event(type, { ...payload, type, sequence_number: this.sequence++ });
  }

  /** Reserves the next output index for an item. */
  nextIndex(): number {
    return this.output.push({}) - 1;
  }
}

/** Streams one round: events of message (and other non-function) items go on, renumbered; function calls are kept. */
async function streamRound(run: LlmRun, request: Json, stream: ResponsesStream): Promise<Json> {
  const indexes = new Map<number, number>();
  let completed: Json | undefined;
  await run.provider.stream("/responses", request, (event) => {
    const payload = run.provider.parseEvent(event);
    const type = typeof payload["type"] === "string" ? payload["type"] : (event.event ?? "");
    run.saw(payload["delta"]);
    if (type === "error") throw run.provider.streamError(errorText(payload));
    if (type === "response.failed")
      throw run.provider.streamError(errorText((payload["response"] as Json | undefined)?.["error"]));
    if (type === "response.created" || type === "response.in_progress") {
      if (!stream.started) stream.send(type, payload);
      stream.started = true;
      return;
    }
    if (type === "response.completed" || type === "response.incomplete") {
      completed = (payload["response"] ?? {}) as Json;
      return;
    }
    const index = payload["output_index"];
    if (typeof index !== "number") return stream.send(type, payload);
    const item = payload["item"] as Json | undefined;
    if (type === "response.output_item.added" && item?.["type"] !== "function_call")
      indexes.set(index, stream.nextIndex());
    const mine = indexes.get(index);
    if (mine === undefined) return;
    if (type === "response.output_item.done" && item) stream.output[mine] = item;
    stream.send(type, { ...payload, output_index: mine });
  });
  // A stream cut short (no response.completed) is a failure, not a shorter answer.
  if (completed === undefined) throw run.provider.streamError("the stream ended before the response was completed");
  await run.afterRound(readUsage(completed["usage"]));
  return completed;
}

/** Announces the gateway's calls as `mcp_call` items, makes them, and reports each one's end. */
async function streamCalls(
  run: LlmRun,
  stream: ResponsesStream,
  input: Json[],
  output: unknown,
  calls: RequestedCall[],
): Promise<void> {
  const slots = calls.map((call) => {
    const tool = run.tools.find((t) => t.fn === call.fn)?.mcpName ?? "";
    const item = mcpCallItem({ ...call, tool });
    const index = stream.nextIndex();
    stream.send("response.output_item.added", { output_index: index, item });
    stream.send("response.mcp_call.in_progress", { output_index: index, item_id: item["id"] });
    return index;
  });
  const made = await answerCalls(run, input, output, calls);
  made.forEach((call, n) => {
    const index = slots[n] ?? stream.nextIndex();
    const item = mcpCallItem(call, call.result);
    stream.output[index] = item;
    const end = call.result.outcome === "ok" ? "response.mcp_call.completed" : "response.mcp_call.failed";
    stream.send(end, { output_index: index, item_id: item["id"] });
    stream.send("response.output_item.done", { output_index: index, item });
  });
}

/** Runs the tool loop streaming, as one response's events: created, items and deltas, tool calls, completed. */
export async function streamResponses(run: LlmRun, body: Json, input: Json[], out: SseWriter): Promise<void> {
  const stream = new ResponsesStream(out);
  for (;;) {
    const { request, offered, maxTokens } = roundRequest(run, body, input, true);
    await run.beforeRound(request, maxTokens);
    const completed = await streamRound(run, request, stream);
    const calls = responsesToolCalls(completed["output"]);
    if (!offered || calls.length === 0) {
      const response = { ...completed, output: stream.output, usage: responsesUsage(run.usage, completed["usage"]) };
      stream.send(completed["status"] === "incomplete" ? "response.incomplete" : "response.completed", { response });
      break;
    }
    await streamCalls(run, stream, input, completed["output"], calls);
  }
  out.end();
}
