import { readFile } from "node:fs/promises";
import OpenAI from "openai";
import { dropConnection, httpError, stall, text, toolCalls, type ScriptedTurn } from "../support/openai-provider";
import { metricValue } from "./gateway-stack";
import { ALICE_KEY, MODEL, PROVIDER_KEY, startLlmStack, toolResults, type LlmStack } from "./llm-proxy-setup";

// The LLM proxy's limits and failures, standalone: token budgets, the request size cap, provider timeouts and
// errors, tool calls refused on the MCP path, the audit event and metrics, and the provider key kept to the provider.
jest.setTimeout(60_000);

const TIMEOUT_MS = 1500;
const FORECAST = { id: "call_forecast", name: "weather_get_forecast", arguments: { city: "Paris", days: 1 } };
const ASK = [{ role: "user" as const, content: "Weather in Paris?" }];
const capped = (caps: string) => `{ tools: ["weather_*"], llm: { providers: [fake], tokens: { perMinute: ${caps} } } }`;
const CONSUMERS = ["carol", "dave", "erin", "gina", "frank"].map((name) => ({
  name,
  key: `mcpgw_llm_${name}_key`,
  policy: name,
}));

let llm: LlmStack;
let alice: OpenAI;
/** Everything a client was answered in this file (bodies and error objects), checked for the provider key. */
const answered: string[] = [];

beforeAll(async () => {
  llm = await startLlmStack({
    consumers: CONSUMERS,
    policies: [
      `carol: ${capped("{ input: 1000 }")}`,
      `dave: ${capped("{ output: 1000 }")}`,
      `erin: ${capped("{ total: 2000 }")}`,
      `gina: ${capped("{ total: 100 }")}`,
      `frank: { tools: ["weather_*"], toolRateLimit: { rate: "1/h", burst: 1 }, llm: { providers: [fake] } }`,
    ],
    provider: `timeout: ${TIMEOUT_MS}ms, maxToolRounds: 2`,
    // Tokens by consumer too (the cap on distinct names is unit-tested in broker/src/llm/llm-metrics.test.ts).
    metrics: "{ consumerLabel: true }",
  });
  alice = llm.client(ALICE_KEY);
});
afterAll(async () => llm?.stop());

/** POSTs a chat request with raw fetch (the exact status, headers and body the client gets). */
async function rawChat(key: string, body: Record<string, unknown>): Promise<Response> {
  const response = await fetch(`${llm.stack.brokerBase}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ model: MODEL, messages: ASK, ...body }),
  });
  answered.push(await response.clone().text());
  return response;
}

const failure = async (request: Promise<unknown>): Promise<Record<string, unknown>> => {
  const error = (await request.then(
    () => ({}),
    (e: unknown) => e,
  )) as Record<string, unknown>;
  answered.push(JSON.stringify(error), String(error["message"]));
  return error;
};

describe("LLM proxy limits and failures, standalone", () => {
  it.each([
    // Realistic input counts: a round is charged at least a low estimate of its request up front (the offered tools'
    // schemas included), so a scripted count below that estimate would not be what is charged.
    ["carol", "perMinute.input", 1000, { input: 600, output: 1 }],
    ["dave", "perMinute.output", 1000, { input: 1, output: 600 }],
    ["erin", "perMinute.total", 2000, { input: 800, output: 400 }],
  ])(
    "%s's %s cap: the usage of every round is charged; the next request gets 429 naming the cap",
    async (name, cap, limit, usage) => {
      const key = `mcpgw_llm_${name}_key`;
      llm.script(toolCalls(FORECAST, { usage }), text("ok", { usage }));
      expect((await rawChat(key, {})).status).toBe(200);
      llm.script(text("never"));
      const refused = await rawChat(key, {});
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({
        error: {
          message: expect.stringContaining(`token limit ${cap} exceeded`) as string,
          type: "tokens",
          param: null,
          code: "rate_limit_exceeded",
        },
      });
      // Both rounds were charged: 2 × the round's tokens is 20 % over the cap, which refills in 12 s (at cap/60 s).
      const overdraft = 0.2 * limit;
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(retryAfter).toBeLessThanOrEqual(Math.ceil((overdraft * 60) / limit));
      expect(retryAfter).toBeGreaterThanOrEqual(Math.ceil((overdraft * 60) / limit) - 3);
      expect(llm.provider.requests).toHaveLength(0);
    },
  );

  it("a round that spends the cap stops the request before the next round (429, the tool call was made)", async () => {
    const since = (await llm.auditEvents()).length;
    llm.script(toolCalls(FORECAST, { usage: { input: 150, output: 0 } }), text("never"));
    const refused = await failure(
      llm.client("mcpgw_llm_gina_key").chat.completions.create({ model: MODEL, messages: ASK }),
    );
    expect(refused).toMatchObject({ status: 429, type: "tokens", code: "rate_limit_exceeded" });
    expect(llm.provider.requests).toHaveLength(1);
    const event = await llm.auditEvent(
      since,
      (e) => e["method"] === "llm/chat.completions" && e["consumer"] === "gina",
    );
    expect(event).toMatchObject({ decision: "rate_limited", upstreamStatus: 429 });
    expect(event["llm"]).toMatchObject({
      inputTokens: 150,
      toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
    });
  });

  it("a body over llm.maxRequestBytes gets 413 and the provider is never asked", async () => {
    llm.script(text("never"));
    const huge = await rawChat(ALICE_KEY, { messages: [{ role: "user", content: "x".repeat(70_000) }] });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { type: "request_too_large" } });
    expect(llm.provider.requests).toHaveLength(0);
  });

  const echoedKey = httpError(401, { message: `Incorrect API key provided: ${PROVIDER_KEY}` });
  it.each<[string, number, ScriptedTurn, RegExp]>([
    ["a 500", 502, httpError(500, { message: "overloaded" }), /provider fake failed \(HTTP 500\): overloaded/],
    ["a 503", 502, httpError(503), /provider fake failed \(HTTP 503\)/],
    ["a 401 echoing the key", 502, echoedKey, /the gateway's credentials for provider fake were refused/],
    ["a 429", 429, httpError(429, { message: "slow down", retryAfter: 3 }), /provider fake is rate limiting/],
    ["a stall", 504, stall(10_000), /provider fake did not answer within 1500 ms/],
    ["a dropped connection", 502, dropConnection(), /provider fake could not be reached/],
  ])("provider %s: the client gets %i with a clear message and never the key", async (_, status, turn, message) => {
    llm.script(turn);
    const response = await rawChat(ALICE_KEY, {});
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { message: string; type: string } };
    expect(body.error.message).toMatch(message);
    if (status === 429) expect(response.headers.get("retry-after")).toBe("3");
    if (status === 504) expect(body.error.type).toBe("timeout_error");
  });

  it("streaming: a stall before the first event is a 504 status", async () => {
    llm.script(stall(10_000));
    const refused = await failure(alice.chat.completions.create({ model: MODEL, messages: ASK, stream: true }));
    expect(refused).toMatchObject({ status: 504, type: "timeout_error" });
  });

  it.each([
    ["a stall past the timeout", { stallAfterEvents: 2, stallMs: 10_000 }, /did not answer within 1500 ms/],
    ["a dropped connection", { dropAfterEvents: 2 }, /provider fake could not be reached/],
  ])("chat streaming: %s mid-stream ends the stream with an error the SDK raises", async (_, timing, message) => {
    llm.script(text("partial answer here", timing));
    let content = "";
    const consume = async (): Promise<void> => {
      const stream = await alice.chat.completions.create({ model: MODEL, messages: ASK, stream: true });
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    };
    const error = await failure(consume());
    expect(String(error["message"])).toMatch(message);
    expect(content).toBe("partial ");
  });

  it("responses streaming: a stall or a drop mid-stream is the stream's last event, an error", async () => {
    for (const [turn, message] of [
      [text("partial", { stallAfterEvents: 2, stallMs: 10_000 }), /did not answer within 1500 ms/],
      [text("partial", { dropAfterEvents: 2 }), /provider fake could not be reached/],
    ] as const) {
      llm.script(turn);
      const stream = await alice.responses.create({ model: MODEL, input: "Weather?", stream: true });
      const events: { type: string; message?: string }[] = [];
      for await (const event of stream) events.push(event as { type: string; message?: string });
      answered.push(JSON.stringify(events));
      expect(events.at(-1)).toMatchObject({ type: "error", message: expect.stringMatching(message) as string });
    }
  });

  it("the provider timeout bounds each provider request, not the whole tool loop", async () => {
    // Two rounds of 1 s each: each answers within the 1.5 s timeout, the request as a whole takes longer.
    llm.script(stall(1000, toolCalls(FORECAST)), stall(1000, text("in time")));
    const completion = await alice.chat.completions.create({ model: MODEL, messages: ASK });
    expect(completion.choices[0]?.message.content).toBe("in time");
  });

  it("a tool call the gateway refuses on the MCP path (tool rate limit) goes back to the model as its result", async () => {
    const since = (await llm.auditEvents()).length;
    const second = { ...FORECAST, id: "call_again" };
    llm.script(toolCalls([FORECAST, second]), text("one of two"));
    const frank = llm.client("mcpgw_llm_frank_key");
    const completion = await frank.chat.completions.create({ model: MODEL, messages: ASK });
    const results = toolResults(llm.provider.requests[1]);
    expect(results.map((result) => result.id)).toEqual(["call_forecast", "call_again"]);
    const refused = results.filter((result) => result.text.startsWith("Tool call refused:"));
    expect(refused).toHaveLength(1);
    expect(refused[0]?.text).toMatch(/rate limit/i);
    expect(completion.choices[0]?.message.content).toBe("one of two");
    const event = await llm.auditEvent(since, (e) => e["method"] === "tools/call" && e["decision"] === "rate_limited");
    expect(event).toMatchObject({ consumer: "frank", target: "weather_get_forecast" });
  });

  it("audits one event per LLM request and counts tokens, duration and tool calls in /metrics", async () => {
    const labels = { provider: "fake", model: MODEL };
    const before = await llm.metrics();
    const since = (await llm.auditEvents()).length;
    llm.script(
      toolCalls(FORECAST, { usage: { input: 12, output: 4 } }),
      text("ok", { usage: { input: 20, output: 6 } }),
    );
    await alice.chat.completions.create({ model: MODEL, messages: ASK });
    const event = await llm.auditEvent(since, (e) => e["method"] === "llm/chat.completions");
    expect(event).toMatchObject({
      consumer: "alice",
      server: "fake",
      target: MODEL,
      decision: "allowed",
      outcome: "ok",
      upstreamStatus: 200,
      endpoint: "/v1/chat/completions",
      clientAddress: "127.0.0.1",
      llm: {
        provider: "fake",
        model: MODEL,
        inputTokens: 32,
        outputTokens: 10,
        totalTokens: 42,
        toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
      },
    });
    expect(event["latencyMs"]).toEqual(expect.any(Number));
    const call = await llm.auditEvent(since, (e) => e["method"] === "tools/call");
    expect(call).toMatchObject({ consumer: "alice", decision: "allowed", target: "weather_get_forecast" });
    const after = await llm.metrics();
    const delta = (name: string, extra: Record<string, string>): number =>
      metricValue(after, name, extra) - metricValue(before, name, extra);
    expect(delta("mcp_gateway_llm_tokens_total", { ...labels, kind: "input" })).toBe(32);
    expect(delta("mcp_gateway_llm_tokens_total", { ...labels, kind: "output" })).toBe(10);
    expect(delta("mcp_gateway_llm_request_duration_seconds_count", { ...labels, outcome: "ok" })).toBe(1);
    expect(delta("mcp_gateway_llm_tool_calls_total", { outcome: "ok" })).toBe(1);
    // metrics.consumerLabel: the same tokens by consumer.
    expect(delta("mcp_gateway_llm_tokens_total", { ...labels, kind: "input", consumer: "alice" })).toBe(32);
    expect(delta("mcp_gateway_llm_tokens_total", { ...labels, kind: "output", consumer: "alice" })).toBe(10);
    // Earlier tests in this file: provider failures (outcome error) and a tool call refused by the rate limit.
    expect(metricValue(after, "mcp_gateway_llm_request_duration_seconds_count", { outcome: "error" })).toBeGreaterThan(
      0,
    );
    expect(
      metricValue(after, "mcp_gateway_llm_request_duration_seconds_count", { outcome: "rate_limited" }),
    ).toBeGreaterThan(0);
    expect(metricValue(after, "mcp_gateway_llm_tool_calls_total", { outcome: "refused" })).toBeGreaterThan(0);
  });

  it("the provider key is in no client answer, gateway log line, audit event or metric", async () => {
    expect(answered.length).toBeGreaterThan(10);
    expect(answered.join("\n")).not.toContain(PROVIDER_KEY);
    expect(llm.stack.gatewayOutput()).not.toContain(PROVIDER_KEY);
    const audit = await readFile(llm.auditPath, "utf8");
    expect(audit).toContain('"method":"llm/chat.completions"');
    expect(audit).not.toContain(PROVIDER_KEY);
    expect(await llm.metrics()).not.toContain(PROVIDER_KEY);
  });
});
