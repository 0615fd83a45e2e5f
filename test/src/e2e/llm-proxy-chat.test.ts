import OpenAI from "openai";
import { pollUntil } from "../support/bounded-wait";
import { httpError, stall, text, toolCalls } from "../support/openai-provider";
import {
  ALICE_KEY,
  BOB_KEY,
  MODEL,
  PROVIDER_KEY,
  offeredTools,
  startLlmStack,
  toolResults,
  type LlmStack,
} from "./llm-proxy-setup";

// The LLM proxy's Chat Completions endpoint, standalone, asked by the official OpenAI SDK; the model is the
// scripted provider (llm-proxy-setup.ts). Responses API: llm-proxy-responses.test.ts; limits and failures:
// llm-proxy-limits.test.ts.
jest.setTimeout(60_000);

const USAGE = { usage: { input: 10, output: 5 } };
const FORECAST = { id: "call_forecast", name: "weather_get_forecast", arguments: { city: "Paris", days: 1 } };
const ALERTS = { id: "call_alerts", name: "weather_get_alerts", arguments: { region: "north" } };
/** Every condition the weather server forecasts: redacted by a sanitize rule in this file's stack. */
const CONDITIONS = /(sunny|partly cloudy|cloudy|light rain|showers|thunderstorms|fog|snow)/;
const ASK = [{ role: "user" as const, content: "Weather in Paris?" }];

let llm: LlmStack;
let alice: OpenAI;

beforeAll(async () => {
  llm = await startLlmStack({ sanitizeRules: [`{ patterns: ["${CONDITIONS.source}"] }`] });
  alice = llm.client(ALICE_KEY);
});
afterAll(async () => llm?.stop());

/** The `mcp_tool_calls` of a chunk or completion (the gateway's extension field). */
function mcpCalls(value: unknown): { id: string; name: string; status: string }[] {
  return (value as { mcp_tool_calls?: { id: string; name: string; status: string }[] }).mcp_tool_calls ?? [];
}

describe("LLM proxy, Chat Completions, standalone", () => {
  it("runs one tool round through MCP and answers with the tool's result; usage summed over both rounds", async () => {
    llm.script(toolCalls(FORECAST, USAGE), text("Sunny in Paris.", USAGE));
    const completion = await alice.chat.completions.create({ model: MODEL, messages: ASK });
    expect(completion.choices[0]?.message.content).toBe("Sunny in Paris.");
    expect(completion.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    expect(mcpCalls(completion)).toEqual([{ id: "call_forecast", name: "weather_get_forecast", status: "completed" }]);
    const [first, second] = llm.provider.requests;
    expect(first?.headers.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    expect(offeredTools(first).sort()).toEqual(["weather_get_alerts", "weather_get_forecast", "weather_server_info"]);
    const [result] = toolResults(second);
    expect(result?.id).toBe("call_forecast");
    expect(JSON.parse(result!.text)).toMatchObject({ city: "Paris", days: [{ day: 1 }] });
    expect(JSON.stringify(completion)).not.toContain(PROVIDER_KEY);
  });

  it("parallel tool calls: both run, both results go back with their call ids", async () => {
    llm.script(toolCalls([FORECAST, ALERTS]), text("Both done."));
    const completion = await alice.chat.completions.create({ model: MODEL, messages: ASK });
    const second = llm.provider.requests[1];
    const assistant = (second?.body?.["messages"] as { role: string; tool_calls?: { id: string }[] }[]).find(
      (message) => message.role === "assistant",
    );
    expect(assistant?.tool_calls?.map((call) => call.id)).toEqual(["call_forecast", "call_alerts"]);
    const results = toolResults(second);
    expect(results.map((result) => result.id)).toEqual(["call_forecast", "call_alerts"]);
    expect(JSON.parse(results[0]!.text)).toMatchObject({ city: "Paris" });
    expect(JSON.parse(results[1]!.text)).toMatchObject({ region: "north" });
    expect(mcpCalls(completion).map((call) => [call.id, call.status])).toEqual([
      ["call_forecast", "completed"],
      ["call_alerts", "completed"],
    ]);
  });

  it("streaming parallel calls: text deltas, mcp_tool_calls progress chunks for both, then the summed usage", async () => {
    llm.script(toolCalls([FORECAST, ALERTS], USAGE), text("Sunny in Paris, no alerts.", USAGE));
    const stream = await alice.chat.completions.create({
      model: MODEL,
      messages: ASK,
      stream: true,
      stream_options: { include_usage: true },
    });
    let content = "";
    const progress: { id: string; status: string }[][] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      content += chunk.choices[0]?.delta.content ?? "";
      expect(chunk.choices[0]?.delta.tool_calls).toBeUndefined();
      if (mcpCalls(chunk).length > 0) progress.push(mcpCalls(chunk).map(({ id, status }) => ({ id, status })));
      if (chunk.usage) usage = chunk.usage;
    }
    expect(content).toBe("Sunny in Paris, no alerts.");
    expect(progress).toEqual([
      [
        { id: "call_forecast", status: "in_progress" },
        { id: "call_alerts", status: "in_progress" },
      ],
      [
        { id: "call_forecast", status: "completed" },
        { id: "call_alerts", status: "completed" },
      ],
    ]);
    expect(usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    expect(toolResults(llm.provider.requests[1]).map((result) => result.id)).toEqual(["call_forecast", "call_alerts"]);
  });

  it("a tool the policy denies: the model gets the gateway's refusal as the tool result", async () => {
    llm.script(
      toolCalls({ id: "call_note", name: "notes_add_note", arguments: { title: "t", text: "x" } }),
      text("ok"),
    );
    const completion = await alice.chat.completions.create({ model: MODEL, messages: ASK });
    const results = toolResults(llm.provider.requests[1]);
    expect(results).toEqual([{ id: "call_note", text: expect.stringMatching(/^Tool call refused: .*notes_add_note/) }]);
    expect(mcpCalls(completion)).toEqual([{ id: "call_note", name: "notes_add_note", status: "failed" }]);
  });

  it("a tool result a sanitize rule redacts never reaches the provider unredacted", async () => {
    // Only the tool produces these words (a week of forecasts has several); the model never wrote them.
    llm.script(toolCalls({ ...FORECAST, arguments: { city: "Paris", days: 7 } }), text("ok"));
    await alice.chat.completions.create({ model: MODEL, messages: ASK });
    const result = JSON.parse(toolResults(llm.provider.requests[1])[0]!.text) as { days: { condition: string }[] };
    expect(result.days.map((day) => day.condition)).toEqual(Array(7).fill("[REDACTED]"));
    for (const request of llm.provider.requests) expect(request.rawBody).not.toMatch(CONDITIONS);
  });

  it("passes the client's tool_choice and parallel_tool_calls on with the offered tools", async () => {
    llm.script(toolCalls(FORECAST), text("done"));
    await alice.chat.completions.create({
      model: MODEL,
      messages: ASK,
      tool_choice: "required",
      parallel_tool_calls: false,
    });
    expect(llm.provider.requests[0]?.body).toMatchObject({ tool_choice: "required", parallel_tool_calls: false });
  });

  it("after maxToolRounds turns with tools, the next turn goes without tools and its answer is final", async () => {
    llm.script(toolCalls(FORECAST, USAGE), toolCalls(FORECAST, USAGE), text("answered without tools", USAGE));
    const completion = await alice.chat.completions.create({ model: MODEL, messages: ASK, tool_choice: "auto" });
    expect(completion.choices[0]?.message.content).toBe("answered without tools");
    expect(llm.provider.requests.map((request) => request.body?.["tools"] !== undefined)).toEqual([true, true, false]);
    expect(llm.provider.requests[2]?.body?.["tool_choice"]).toBeUndefined();
    expect(completion.usage?.total_tokens).toBe(45);
  });

  it("a consumer whose policy has no llm permissions gets 403 and the provider is never asked", async () => {
    llm.script(text("never"));
    const refused = llm.client(BOB_KEY).chat.completions.create({ messages: ASK, model: MODEL });
    await expect(refused).rejects.toMatchObject({ status: 403, type: "permission_error" });
    expect(llm.provider.requests).toHaveLength(0);
  });

  it("an unknown model gets 400 naming it; a wrong key 401; a request's own tools 400", async () => {
    llm.script();
    const unknown = alice.chat.completions.create({ messages: ASK, model: "gpt-nope" });
    await expect(unknown).rejects.toMatchObject({ status: 400, code: "model_not_found" });
    const stranger = llm.client("wrong").chat.completions.create({ messages: ASK, model: MODEL });
    await expect(stranger).rejects.toMatchObject({ status: 401 });
    const tools = [{ type: "function" as const, function: { name: "mine", parameters: {} } }];
    const own = alice.chat.completions.create({ model: MODEL, messages: ASK, tools });
    await expect(own).rejects.toMatchObject({ status: 400, param: "tools" });
    expect(llm.provider.requests).toHaveLength(0);
  });

  it("streaming: a provider error before the first event is the request's error status", async () => {
    llm.script(httpError(500, { message: "overloaded" }));
    const refused = alice.chat.completions.create({ model: MODEL, messages: ASK, stream: true });
    await expect(refused).rejects.toMatchObject({ status: 502 });
  });

  it("streaming: a provider error mid-stream ends the stream with an error the SDK raises", async () => {
    llm.script(text("partial answer", { errorAfterEvents: 2, errorMessage: "model crashed" }));
    let content = "";
    const consume = async (): Promise<void> => {
      const stream = await alice.chat.completions.create({ model: MODEL, messages: ASK, stream: true });
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(consume()).rejects.toThrow(/provider fake failed the streamed answer: model crashed/);
    expect(content).toBe("partial ");
  });

  it("ends its MCP session when the request ends: the upstream does not pile up sessions", async () => {
    for (let n = 0; n < 4; n++) {
      llm.script(toolCalls(FORECAST), text("ok"));
      await alice.chat.completions.create({ model: MODEL, messages: ASK });
    }
    llm.script(toolCalls({ name: "weather_server_info" }), text("ok"));
    await alice.chat.completions.create({ model: MODEL, messages: ASK });
    const info = JSON.parse(toolResults(llm.provider.requests[1])[0]!.text) as { sessionCount: number };
    // Every earlier LLM request in this file opened a session; only the current ones are left.
    expect(info.sessionCount).toBeLessThanOrEqual(3);
  });

  it("a client that goes away cancels the provider request (before the provider timeout)", async () => {
    llm.script(stall(30_000));
    const controller = new AbortController();
    const request = alice.chat.completions.create(
      { model: MODEL, messages: ASK, stream: true },
      { signal: controller.signal },
    );
    expect(await pollUntil(() => llm.provider.requests.length === 1, 5000)).toBe(true);
    const before = llm.provider.abandoned();
    controller.abort();
    await expect(request).rejects.toThrow();
    expect(await pollUntil(() => llm.provider.abandoned() > before, 1500)).toBe(true);
  });

  it("answers a browser's CORS preflight from an allowed origin, and 405 for other methods", async () => {
    const url = `${llm.stack.brokerBase}/v1/chat/completions`;
    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    const get = await fetch(url);
    expect(get.status).toBe(405);
    expect(await get.json()).toMatchObject({ error: { type: "invalid_request_error" } });
  });
});
