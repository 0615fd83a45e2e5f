import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import OpenAI from "openai";
import { pollUntil } from "../support/bounded-wait";
import { metricValue } from "./gateway-stack";
import { hashApiKey } from "@mcp-gateway/core";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { startTestProvider, type ModelTurn, type SeenRequest, type TestProvider } from "./llm-test-provider";

jest.setTimeout(60_000);

const ALICE_KEY = "mcpgw_llm_alice_key";
const BOB_KEY = "mcpgw_llm_bob_key";
const PROVIDER_KEY = "sk-provider-secret-0123456789";

/** The conversation's tool results so far (Chat `role: tool` messages or Responses `function_call_output` items). */
function toolResults(request: SeenRequest): string[] {
  const items = (request.body["messages"] ?? request.body["input"]) as Record<string, unknown>[];
  return items
    .filter((item) => item["role"] === "tool" || item["type"] === "function_call_output")
    .map((item) => String(item["content"] ?? item["output"]));
}

/** The model: with tool results, it answers with them; otherwise it calls the tool the user's words ask for. */
function script(request: SeenRequest): ModelTurn {
  const asked = JSON.stringify(request.body["messages"] ?? request.body["input"]);
  if (asked.includes("loop"))
    return request.body["tools"] ? { toolCalls: [FORECAST] } : { text: "answered without tools" };
  const results = toolResults(request);
  if (results.length > 0) return { text: `Answer from tools: ${results.join(" | ")}` };
  if (asked.includes("parallel"))
    return { toolCalls: [FORECAST, { name: "weather_get_alerts", arguments: '{"region":"north"}' }] };
  if (asked.includes("server_info")) return { toolCalls: [{ name: "weather_server_info", arguments: "{}" }] };
  if (asked.includes("secret"))
    return { toolCalls: [{ name: "weather_get_forecast", arguments: '{"city":"SECRET-4242"}' }] };
  const failure = FAILURES.find(([word]) => asked.includes(word));
  if (failure) return failure[1];
  if (asked.includes("note")) return { toolCalls: [{ name: "notes_add_note", arguments: '{"title":"t","text":"x"}' }] };
  return { toolCalls: [FORECAST] };
}

const FORECAST = { name: "weather_get_forecast", arguments: '{"city":"Paris","days":1}' };

/** Provider failures, chosen by a word of the user's message. */
const FAILURES: [string, ModelTurn][] = [
  ["fail-500", { status: 500, body: '{"error":{"message":"overloaded"}}' }],
  ["fail-401", { status: 401, body: `{"error":{"message":"Incorrect API key provided: ${PROVIDER_KEY}"}}` }],
  ["fail-429", { status: 429, body: '{"error":{"message":"slow down"}}', headers: { "retry-after": "3" } }],
  ["fail-hang", { hang: true }],
  ["fail-midstream", { streamError: "model crashed" }],
];

let provider: TestProvider;
let auditPath: string;
let stack: GatewayStack;
let alice: OpenAI;

beforeAll(async () => {
  provider = await startTestProvider(script);
  auditPath = join(await mkdtemp(join(tmpdir(), "llm-audit-")), "audit.log");
  stack = await startGatewayStack(
    { kind: "standalone" },
    {
      security: '{ allowedOrigins: ["https://app.example.com"] }',
      access: `consumers:
  - { name: alice, keyHash: "${hashApiKey(ALICE_KEY)}", policy: weather-llm }
  - { name: bob, keyHash: "${hashApiKey(BOB_KEY)}", policy: weather }
audit: { file: { path: "${auditPath}" } }
sanitize: { rules: [{ patterns: ["SECRET-[0-9]+"] }] }
policies:
  weather-llm: { tools: ["weather_*"], llm: { providers: [fake] } }
  weather: { tools: ["weather_*"] }
llm:
  maxRequestBytes: 65536
  providers:
    - { name: fake, baseUrl: "${provider.url}", apiKey: "${PROVIDER_KEY}", defaultModel: test-model, timeout: 2s, maxToolRounds: 2 }`,
    },
  );
  alice = new OpenAI({ apiKey: ALICE_KEY, baseURL: `${stack.brokerBase}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await stack?.stop();
  await provider?.stop();
});
beforeEach(() => provider.seen.splice(0));

describe("LLM proxy, standalone", () => {
  it("chat completions: runs one tool round through MCP and answers with the tool's result", async () => {
    const completion = await alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    expect(completion.choices[0]?.message.content).toContain("Paris");
    expect(completion.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 10, total_tokens: 30 });
    const [first] = provider.seen;
    expect(first?.authorization).toBe(`Bearer ${PROVIDER_KEY}`);
    const offered = (first?.body["tools"] as { function: { name: string } }[]).map((tool) => tool.function.name);
    expect(offered).toContain("weather_get_forecast");
    expect(offered.some((name) => name.startsWith("notes_"))).toBe(false);
    expect(JSON.stringify(completion)).not.toContain(PROVIDER_KEY);
  });

  it("responses: reports the gateway's call as an mcp_call item and sums usage", async () => {
    const response = await alice.responses.create({ model: "test-model", input: "Weather in Paris?" });
    expect(response.output_text).toContain("Paris");
    const call = response.output.find((item) => item.type === "mcp_call");
    expect(call).toMatchObject({ type: "mcp_call", name: "weather_get_forecast", server_label: "mcp-gateway" });
    expect(response.usage?.total_tokens).toBe(30);
  });

  it("chat completions streaming: text deltas, a tool-progress chunk and the summed usage", async () => {
    const stream = await alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    const progress: unknown[] = [];
    let usage: unknown;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      const calls = (chunk as unknown as { mcp_tool_calls?: unknown[] }).mcp_tool_calls;
      if (calls) progress.push(...calls);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain("Paris");
    expect(progress).toContainEqual(expect.objectContaining({ name: "weather_get_forecast", status: "completed" }));
    expect(usage).toMatchObject({ total_tokens: 30 });
  });

  it("responses streaming: mcp_call events, text deltas and response.completed", async () => {
    const stream = await alice.responses.create({ model: "test-model", input: "Weather in Paris?", stream: true });
    const types: string[] = [];
    let text = "";
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === "response.output_text.delta") text += event.delta;
      if (event.type === "response.completed") completed = event.response;
    }
    expect(types).toEqual(expect.arrayContaining(["response.mcp_call.in_progress", "response.mcp_call.completed"]));
    expect(text).toContain("Paris");
    expect(completed?.usage?.total_tokens).toBe(30);
    expect(completed?.output.map((item) => item.type)).toEqual(["mcp_call", "message"]);
  });

  it("a tool the policy denies: the model gets the gateway's refusal as the tool result", async () => {
    const completion = await alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "Add a note" }],
    });
    const results = toolResults(provider.seen[1]!);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/^Tool call refused: .*notes_add_note/);
    expect(completion.choices[0]?.message.content).toContain("Tool call refused");
  });

  it("a consumer whose policy has no llm permissions gets 403", async () => {
    const bob = new OpenAI({ apiKey: BOB_KEY, baseURL: `${stack.brokerBase}/v1`, maxRetries: 0 });
    const refused = bob.chat.completions.create({ messages: [{ role: "user", content: "hi" }], model: "test-model" });
    await expect(refused).rejects.toMatchObject({ status: 403, type: "permission_error" });
    expect(provider.seen).toHaveLength(0);
  });

  it("an unknown model gets 400 naming it; a wrong key 401", async () => {
    const unknown = alice.chat.completions.create({ messages: [{ role: "user", content: "hi" }], model: "gpt-nope" });
    await expect(unknown).rejects.toMatchObject({ status: 400, code: "model_not_found" });
    const stranger = new OpenAI({ apiKey: "wrong", baseURL: `${stack.brokerBase}/v1`, maxRetries: 0 });
    const refused = stranger.chat.completions.create({
      messages: [{ role: "user", content: "hi" }],
      model: "test-model",
    });
    await expect(refused).rejects.toMatchObject({ status: 401 });
  });

  it.each([
    ["fail-500", 502, /provider fake failed \(HTTP 500\): overloaded/],
    ["fail-401", 502, /the gateway's credentials for provider fake were refused/],
    ["fail-429", 429, /provider fake is rate limiting the gateway/],
    ["fail-hang", 504, /provider fake did not answer within 2000 ms/],
  ])(
    "provider %s: the client gets %i with a clear message and never the provider key",
    async (word, status, message) => {
      const refused = await alice.chat.completions
        .create({ model: "test-model", messages: [{ role: "user", content: word }] })
        .catch((error: unknown) => error);
      expect(refused).toMatchObject({ status });
      expect((refused as Error).message).toMatch(message);
      expect(JSON.stringify(refused)).not.toContain(PROVIDER_KEY);
      if (word === "fail-429") expect((refused as { headers: Headers }).headers.get("retry-after")).toBe("3");
    },
  );

  it("audits one event per LLM request with tokens and tool calls, and counts tokens in /metrics", async () => {
    await alice.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "audit me" }] });
    const events = async (): Promise<Record<string, unknown>[]> =>
      (await readFile(auditPath, "utf8").catch(() => ""))
        .split("\n")
        .filter((line) => line.includes('"llm/chat.completions"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(await pollUntil(async () => (await events()).some((e) => e["decision"] === "allowed"), 5000)).toBe(true);
    const event = (await events()).find((e) => e["decision"] === "allowed");
    expect(event).toMatchObject({
      consumer: "alice",
      server: "fake",
      target: "test-model",
      llm: { provider: "fake", model: "test-model", inputTokens: 20, outputTokens: 10, totalTokens: 30 },
    });
    expect((event?.["llm"] as { toolCalls: unknown[] }).toolCalls).toEqual([
      { name: "weather_get_forecast", outcome: "ok" },
    ]);
    const audit = await readFile(auditPath, "utf8");
    expect(audit).not.toContain(PROVIDER_KEY);
    expect(audit).toContain('"method":"tools/call"');
    const metrics = await (await fetch(`${stack.brokerBase}/metrics`)).text();
    expect(metricValue(metrics, "mcp_gateway_llm_tokens_total", { provider: "fake", kind: "input" })).toBeGreaterThan(
      0,
    );
    expect(metrics).not.toContain(PROVIDER_KEY);
  });

  it("streaming: a provider error before the first event is the request's error status", async () => {
    const refused = alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "fail-500" }],
      stream: true,
    });
    await expect(refused).rejects.toMatchObject({ status: 502 });
  });

  it("refuses a request's own tools with 400 and a body over llm.maxRequestBytes with 413", async () => {
    const tools = [{ type: "function" as const, function: { name: "mine", parameters: {} } }];
    const own = alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "x" }],
      tools,
    });
    await expect(own).rejects.toMatchObject({ status: 400, param: "tools" });
    const huge = alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "x".repeat(70_000) }],
    });
    await expect(huge).rejects.toMatchObject({ status: 413, type: "request_too_large" });
    expect(provider.seen).toHaveLength(0);
  });

  it("runs the tool calls of one turn together and returns every result to the model", async () => {
    await alice.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "parallel" }] });
    const second = provider.seen[1]!;
    const results = toolResults(second);
    expect(results).toHaveLength(2);
    expect(results.join()).toContain("Paris");
    expect(results.join()).toContain("north");
  });

  it("a redacted tool result reaches the provider redacted", async () => {
    await alice.responses.create({ model: "test-model", input: "secret" });
    // The model wrote the secret into its own call's arguments; the tool's result must come back redacted.
    const result = toolResults(provider.seen[1]!).join();
    expect(result).not.toContain("SECRET-4242");
    expect(result).toContain('"city":"[REDACTED]"');
  });

  it("after maxToolRounds turns with tools, the next turn goes without tools and its answer is final", async () => {
    const completion = await alice.chat.completions.create({
      model: "test-model",
      messages: [{ role: "user", content: "loop" }],
    });
    expect(completion.choices[0]?.message.content).toBe("answered without tools");
    expect(provider.seen.map((request) => request.body["tools"] !== undefined)).toEqual([true, true, false]);
    expect(completion.usage?.total_tokens).toBe(45);
  });

  it("ends its MCP session when the request ends: the upstream does not pile up sessions", async () => {
    for (let n = 0; n < 4; n++)
      await alice.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "Paris" }] });
    provider.seen.splice(0);
    await alice.chat.completions.create({ model: "test-model", messages: [{ role: "user", content: "server_info" }] });
    const info = JSON.parse(toolResults(provider.seen[1]!)[0]!) as { sessionCount: number };
    // Every earlier LLM request (more than 20 in this file) opened a session; only the current ones are left.
    expect(info.sessionCount).toBeLessThanOrEqual(3);
  });

  it("a client that goes away cancels the provider request (before the provider timeout)", async () => {
    const controller = new AbortController();
    const request = alice.chat.completions.create(
      { model: "test-model", messages: [{ role: "user", content: "fail-hang" }], stream: true },
      { signal: controller.signal },
    );
    expect(await pollUntil(() => provider.seen.length === 1, 5000)).toBe(true);
    const before = provider.abandoned();
    controller.abort();
    await expect(request).rejects.toThrow();
    expect(await pollUntil(() => provider.abandoned() > before, 1500)).toBe(true);
  });

  it("answers a browser's CORS preflight from an allowed origin, and 405 for other methods", async () => {
    const url = `${stack.brokerBase}/v1/chat/completions`;
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

  it("chat streaming: a provider error mid-stream ends the stream with an error the SDK raises", async () => {
    const consume = async (): Promise<string> => {
      let text = "";
      const stream = await alice.chat.completions.create({
        model: "test-model",
        messages: [{ role: "user", content: "fail-midstream" }],
        stream: true,
      });
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    await expect(consume()).rejects.toThrow(/provider fake failed the streamed answer: model crashed/);
  });

  it("responses streaming: a provider error mid-stream is the stream's last event, an error event", async () => {
    const stream = await alice.responses.create({ model: "test-model", input: "fail-midstream", stream: true });
    const events: { type: string; message?: string }[] = [];
    for await (const event of stream) events.push(event as { type: string; message?: string });
    expect(events.map((event) => event.type)).toEqual(["response.created", "error"]);
    expect(events[1]?.message).toMatch(/provider fake failed the streamed answer: model crashed/);
  });
});
