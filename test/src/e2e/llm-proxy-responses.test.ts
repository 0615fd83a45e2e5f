import OpenAI from "openai";
import { text, toolCalls } from "../support/openai-provider";
import { ALICE_KEY, MODEL, offeredTools, startLlmStack, toolResults, type LlmStack } from "./llm-proxy-setup";

// The LLM proxy's Responses endpoint, standalone, asked by the official OpenAI SDK (its stream helper parses the
// events); the model is the scripted provider (llm-proxy-setup.ts).
jest.setTimeout(60_000);

const USAGE = { usage: { input: 10, output: 5 } };
const FORECAST = { id: "call_forecast", name: "weather_get_forecast", arguments: { city: "Paris", days: 1 } };
const ALERTS = { id: "call_alerts", name: "weather_get_alerts", arguments: { region: "north" } };

let llm: LlmStack;
let alice: OpenAI;

beforeAll(async () => {
  llm = await startLlmStack();
  alice = llm.client(ALICE_KEY);
});
afterAll(async () => llm?.stop());

type McpCall = OpenAI.Responses.ResponseOutputItem.McpCall;
const mcpCallsOf = (response: OpenAI.Responses.Response): McpCall[] =>
  response.output.filter((item): item is McpCall => item.type === "mcp_call");

describe("LLM proxy, Responses API, standalone", () => {
  it("reports the gateway's call as an mcp_call item, answers with the tool's result and sums usage", async () => {
    llm.script(toolCalls(FORECAST, USAGE), text("Sunny in Paris.", USAGE));
    const response = await alice.responses.create({ model: MODEL, input: "Weather in Paris?" });
    expect(response.output_text).toBe("Sunny in Paris.");
    const [call] = mcpCallsOf(response);
    expect(call).toMatchObject({ name: "weather_get_forecast", server_label: "mcp-gateway" });
    expect(JSON.parse(call?.output ?? "{}")).toMatchObject({ city: "Paris" });
    expect(response.usage).toMatchObject({ input_tokens: 20, output_tokens: 10, total_tokens: 30 });
    expect(offeredTools(llm.provider.requests[0])).toContain("weather_get_forecast");
    expect(toolResults(llm.provider.requests[1]).map((result) => result.id)).toEqual(["call_forecast"]);
  });

  it("parallel tool calls: both run, both function_call_output items carry their call ids", async () => {
    llm.script(toolCalls([FORECAST, ALERTS]), text("Both done."));
    const response = await alice.responses.create({ model: MODEL, input: "Weather and alerts?" });
    const input = llm.provider.requests[1]?.body?.["input"] as { type?: string; call_id?: string }[];
    expect(input.filter((item) => item.type === "function_call").map((item) => item.call_id)).toEqual([
      "call_forecast",
      "call_alerts",
    ]);
    const results = toolResults(llm.provider.requests[1]);
    expect(results.map((result) => result.id)).toEqual(["call_forecast", "call_alerts"]);
    expect(JSON.parse(results[1]!.text)).toMatchObject({ region: "north" });
    expect(mcpCallsOf(response).map((call) => call.name)).toEqual(["weather_get_forecast", "weather_get_alerts"]);
    expect(response.output_text).toBe("Both done.");
  });

  it("a denied tool: the model gets the refusal as the function_call_output, the item reports the error", async () => {
    llm.script(toolCalls({ id: "call_note", name: "notes_add_note", arguments: { title: "t" } }), text("ok"));
    const response = await alice.responses.create({ model: MODEL, input: "Add a note" });
    expect(toolResults(llm.provider.requests[1])).toEqual([
      { id: "call_note", text: expect.stringMatching(/^Tool call refused: .*notes_add_note/) },
    ]);
    expect(mcpCallsOf(response)[0]?.error).toMatch(/notes_add_note/);
  });

  it("streaming through the SDK's stream helper: mcp_call events for both calls, text, the final response", async () => {
    llm.script(toolCalls([FORECAST, ALERTS], USAGE), text("Sunny in Paris.", USAGE));
    const stream = alice.responses.stream({ model: MODEL, input: "Weather in Paris?" });
    const types: string[] = [];
    let deltas = "";
    stream.on("event", (event) => types.push(event.type));
    stream.on("response.output_text.delta", (event) => (deltas += event.delta));
    const final = await stream.finalResponse();
    expect(deltas).toBe("Sunny in Paris.");
    expect(types.filter((type) => type.startsWith("response.mcp_call"))).toEqual([
      "response.mcp_call.in_progress",
      "response.mcp_call.in_progress",
      "response.mcp_call.completed",
      "response.mcp_call.completed",
    ]);
    expect(types[0]).toBe("response.created");
    expect(types.at(-1)).toBe("response.completed");
    expect(final.output.map((item) => item.type)).toEqual(["mcp_call", "mcp_call", "message"]);
    expect(mcpCallsOf(final).map((call) => call.name)).toEqual(["weather_get_forecast", "weather_get_alerts"]);
    expect(final.output_text).toBe("Sunny in Paris.");
    expect(final.usage?.total_tokens).toBe(30);
  });

  it("streaming: events are numbered in order across rounds", async () => {
    llm.script(toolCalls(FORECAST), text("Sunny."));
    const stream = await alice.responses.create({ model: MODEL, input: "Weather?", stream: true });
    const numbers: number[] = [];
    for await (const event of stream) numbers.push(event.sequence_number);
    expect(numbers).toEqual(numbers.map((_, n) => n));
  });

  it("a redacted tool result reaches the provider redacted", async () => {
    // The model wrote the secret into its own call's arguments; the tool's result (which echoes it) must come back
    // to the provider redacted.
    llm.script(toolCalls({ name: "weather_get_forecast", arguments: { city: "SECRET-4242", days: 1 } }), text("ok"));
    const response = await alice.responses.create({ model: MODEL, input: "secret" });
    const [result] = toolResults(llm.provider.requests[1]);
    expect(result?.text).toContain('"city":"[REDACTED]"');
    expect(result?.text).not.toContain("SECRET-4242");
    expect(JSON.stringify(mcpCallsOf(response))).not.toContain('"city":"SECRET-4242"');
  });

  it("streaming: a provider error mid-stream is the stream's last event, an error event", async () => {
    llm.script(text("partial", { errorAfterEvents: 1, errorMessage: "model crashed" }));
    const stream = await alice.responses.create({ model: MODEL, input: "Weather?", stream: true });
    const events: { type: string; message?: string }[] = [];
    for await (const event of stream) events.push(event as { type: string; message?: string });
    expect(events.map((event) => event.type)).toEqual(["response.created", "error"]);
    expect(events[1]?.message).toMatch(/provider fake failed the streamed answer: model crashed/);
  });

  it("after maxToolRounds turns with tools, the next turn goes without tools", async () => {
    llm.script(toolCalls(FORECAST), toolCalls(FORECAST), text("final"));
    const response = await alice.responses.create({ model: MODEL, input: "loop" });
    expect(response.output_text).toBe("final");
    expect(llm.provider.requests.map((request) => request.body?.["tools"] !== undefined)).toEqual([true, true, false]);
    expect(mcpCallsOf(response)).toHaveLength(2);
  });
});
