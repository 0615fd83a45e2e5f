import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { hashApiKey } from "@mcp-gateway/core";
import { pollUntil } from "../support/bounded-wait";
import { startScriptedProvider, text, toolCalls, type ScriptedProvider } from "../support/openai-provider";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

// Attacks on the LLM proxy by a consumer with a gateway key: spending more tokens than its budget allows, making the
// gateway fan out tool calls, and sending the provider what the gateway should not pass on.

const CHEAP_KEY = "mcpgw_llm_attack_cheap";
const RICH_KEY = "mcpgw_llm_attack_rich";
const PROVIDER_KEY = "sk-attack-provider-0123456789";

let provider: ScriptedProvider;
let truncating: Server;
let stack: GatewayStack;
let cheapSeq = 0;

/** Provider connections the misbehaving provider saw closed (by model), to see the gateway let go of them. */
const closedByModel = new Map<string, number>();

const sse = (type: string, payload: Record<string, unknown>): string =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...payload })}\n\n`;

/** What the misbehaving provider does for a model: end a stream early, leak the key and hang, inject, or flood. */
function misbehave(model: string, chat: boolean, response: ServerResponse): void {
  if (model === "flood-model") {
    // A JSON body far larger than any answer (the gateway must stop reading, not buffer it all).
    response.writeHead(200, { "content-type": "application/json" });
    const mib = "a".repeat(1024 * 1024);
    Readable.from(
      (function* flood() {
        yield '{"x":"';
        for (let n = 0; n < 40; n++) yield mib;
        yield '"}';
      })(),
    )
      .pipe(response)
      .on("error", () => undefined);
    return;
  }
  response.writeHead(200, { "content-type": "text/event-stream" });
  if (model === "leak-model") {
    // An in-stream error quoting the key, then the stream stays open (until the gateway drops it).
    const message = `invalid header Authorization: Bearer ${PROVIDER_KEY}`;
    response.write(chat ? `data: ${JSON.stringify({ error: { message } })}\n\n` : sse("error", { message }));
    return;
  }
  if (model === "inject-model") {
    const done = { id: "r1", status: "completed", output: [], usage: { input_tokens: 1, output_tokens: 1 } };
    response.write(sse("response.created", { response: { id: "r1", status: "in_progress", output: [] } }));
    response.write(sse('x\nevent: response.completed\ndata: {"injected":true}\n', {}));
    response.end(sse("response.completed", { response: done }));
    return;
  }
  // cut-model: the response completes cleanly in the middle of the answer (no finish_reason/[DONE]/completed).
  response.end(
    chat
      ? 'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Half an"},"finish_reason":null}]}\n\n'
      : sse("response.created", { response: { id: "r1", status: "in_progress", output: [] } }),
  );
}

/** An OpenAI-compatible endpoint that misbehaves as {@link misbehave} says for the request's model. */
async function startMisbehavingProvider(): Promise<Server> {
  const server = createServer((request, response) => {
    const parts: Buffer[] = [];
    request.on("data", (part: Buffer) => parts.push(part));
    request.on("end", () => {
      const model = String((JSON.parse(Buffer.concat(parts).toString("utf8")) as { model?: unknown }).model);
      response.on("close", () => closedByModel.set(model, (closedByModel.get(model) ?? 0) + 1));
      misbehave(model, request.url?.endsWith("/chat/completions") === true, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

beforeAll(async () => {
  provider = await startScriptedProvider({ apiKey: PROVIDER_KEY, respond: () => text("fallback answer") });
  truncating = await startMisbehavingProvider();
  const cutUrl = `http://127.0.0.1:${(truncating.address() as AddressInfo).port}/v1`;
  stack = await startGatewayStack(
    { kind: "standalone" },
    {
      access: `consumers:
${Array.from({ length: 6 }, (_, n) => `  - { name: cheap${n}, keyHash: "${hashApiKey(`${CHEAP_KEY}${n}`)}", policy: cheap }`).join("\n")}
  - { name: rich, keyHash: "${hashApiKey(RICH_KEY)}", policy: rich }
policies:
  cheap: { tools: ["weather_*"], llm: { providers: [fake], tokens: { perMinute: { total: 200 } } } }
  rich: { tools: ["weather_*"], llm: { providers: [fake, cut] } }
llm:
  providers:
    - { name: fake, baseUrl: "${provider.url}", apiKey: "${PROVIDER_KEY}", defaultModel: gpt-4o, timeout: 10s, maxToolRounds: 2 }
    - { name: cut, baseUrl: "${cutUrl}", apiKey: "${PROVIDER_KEY}", defaultModel: cut-model, models: [leak-model, inject-model, flood-model], timeout: 10s }`,
    },
  );
});
afterAll(async () => {
  await stack?.stop();
  await provider?.close();
  truncating?.closeAllConnections();
  await new Promise((resolve) => truncating?.close(resolve));
});

/** A consumer of the cheap policy no other test has used (each has its own 200 tokens a minute). */
function freshCheapKey(): string {
  return `${CHEAP_KEY}${cheapSeq++}`;
}

function post(path: string, key: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${stack.brokerBase}/v1${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
    ...(signal ? { signal } : {}),
  });
}

const ask = (content: string) => ({ model: "gpt-4o", messages: [{ role: "user", content }] });

describe("LLM proxy attacks: token budgets", () => {
  it("a client that goes away mid-stream is still charged for the round (the next request is 429)", async () => {
    const key = freshCheapKey();
    const long = Array.from({ length: 400 }, (_, n) => `word${n} `);
    provider.push(text(long, { eventIntervalMs: 20 }));
    const controller = new AbortController();
    const response = await post(
      "/chat/completions",
      key,
      { ...ask("tell me a story"), stream: true },
      controller.signal,
    );
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    const seen = provider.requests.length;
    const refused = await pollUntil(async () => {
      const next = await post("/chat/completions", key, ask("again"));
      await next.text();
      return next.status === 429;
    }, 10_000);
    expect(refused).toBe(true);
    // The refused requests never reached the provider.
    expect(provider.requests.length).toBe(seen);
  });

  it("concurrent requests of one consumer cannot all pass the check before any is charged", async () => {
    const key = freshCheapKey();
    const before = provider.requests.length;
    for (let n = 0; n < 6; n++) provider.push(text("slow answer", { delayMs: 500, usage: { input: 150, output: 50 } }));
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await post("/chat/completions", key, ask("hello"));
        await response.text();
        return response.status;
      }),
    );
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(4);
    expect(provider.requests.length - before).toBeLessThanOrEqual(2);
    while (provider.remaining() > 0) await post("/chat/completions", RICH_KEY, ask("drain")).then((r) => r.text());
  });
});

describe("LLM proxy attacks: streams cut short", () => {
  it("chat: a provider stream that ends before finish_reason/[DONE] is an error, not a shorter answer", async () => {
    const response = await post("/chat/completions", RICH_KEY, { ...ask("cut"), model: "cut-model", stream: true });
    const body = await response.text();
    expect(body).toContain("provider_stream_error");
    expect(body).not.toContain("[DONE]");
  });

  it("responses: a provider stream that ends before response.completed is an error event", async () => {
    const response = await post("/responses", RICH_KEY, { model: "cut-model", input: "cut", stream: true });
    const body = await response.text();
    expect(body).toContain("event: error");
    expect(body).not.toContain("response.completed");
  });
});

describe("LLM proxy attacks: tool fan-out and fields", () => {
  it("makes at most 32 tool calls of one turn; the rest are refused to the model", async () => {
    const calls = Array.from({ length: 40 }, (_, n) => ({
      id: `call_${n}`,
      name: "weather_get_forecast",
      arguments: { city: `C${n}`, days: 1 },
    }));
    provider.push(toolCalls(calls), text("done"));
    const before = provider.requests.length;
    const response = await post("/chat/completions", RICH_KEY, ask("many"));
    const completion = (await response.json()) as { mcp_tool_calls: { status: string }[] };
    expect(response.status).toBe(200);
    expect(completion.mcp_tool_calls.filter((call) => call.status === "completed")).toHaveLength(32);
    const second = provider.requests[before + 1]?.body?.["messages"] as { role: string; content: string }[];
    const refused = second.filter((m) => m.role === "tool" && m.content.includes("more than 32 tool calls"));
    expect(refused).toHaveLength(8);
  });

  it.each([
    ["n above 1", { ...ask("x"), n: 16 }, "n"],
    [
      "an image URL the provider would fetch",
      {
        model: "gpt-4o",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "http://169.254.169.254/" } }] }],
      },
      "messages[0].content[0].image_url.url",
    ],
    ["web search on the gateway's key", { ...ask("x"), web_search_options: {} }, "web_search_options"],
  ])("chat: refuses %s with 400 before reaching the provider", async (_name, body, param) => {
    const before = provider.requests.length;
    const response = await post("/chat/completions", RICH_KEY, body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe(param);
    expect(provider.requests.length).toBe(before);
  });

  it("refuses a body nested past limits.maxJsonDepth with 400 (no stack overflow, no provider call)", async () => {
    const before = provider.requests.length;
    const deep = `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"metadata":${"[".repeat(20_000)}${"]".repeat(20_000)}}`;
    const response = await fetch(`${stack.brokerBase}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${RICH_KEY}`, "content-type": "application/json" },
      body: deep,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain("limits.maxJsonDepth");
    expect(provider.requests.length).toBe(before);
  });

  it("answers a missing or wrong gateway key with 401 and OpenAI's code invalid_api_key", async () => {
    const response = await post("/chat/completions", "not-a-key", ask("x"));
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
  });

  it("responses: refuses a stored prompt and item references with 400", async () => {
    for (const body of [
      { model: "gpt-4o", input: "x", prompt: { id: "pmpt_other_consumer" } },
      { model: "gpt-4o", input: [{ type: "item_reference", id: "msg_other_consumer" }] },
    ]) {
      const response = await post("/responses", RICH_KEY, body);
      expect(response.status).toBe(400);
    }
  });
});

describe("LLM proxy attacks: a misbehaving provider", () => {
  it.each([
    ["chat", "/chat/completions", { ...ask("x"), model: "leak-model", stream: true }],
    ["responses", "/responses", { model: "leak-model", input: "x", stream: true }],
  ])(
    "%s: an in-stream error quoting the key reaches the client scrubbed, and the provider stream is closed",
    async (_name, path, body) => {
      const closedBefore = closedByModel.get("leak-model") ?? 0;
      const response = await post(path, RICH_KEY, body);
      const text = await response.text();
      expect(text).toContain("provider_stream_error");
      expect(text).not.toContain(PROVIDER_KEY);
      // Well before the provider's 10 s timeout: the gateway cancelled the stream it stopped reading.
      expect(await pollUntil(() => (closedByModel.get("leak-model") ?? 0) > closedBefore, 3_000)).toBe(true);
    },
  );

  it("responses: an event type from the provider cannot start a new line of the client's stream", async () => {
    const response = await post("/responses", RICH_KEY, { model: "inject-model", input: "x", stream: true });
    const text = await response.text();
    expect(text).not.toContain('"injected"');
    expect(text.split("\n").filter((line) => line.startsWith("event: response.completed"))).toHaveLength(1);
  });

  it("an answer far larger than any real one is refused with 502 instead of being buffered", async () => {
    const response = await post("/chat/completions", RICH_KEY, { ...ask("x"), model: "flood-model" });
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("provider_answer_too_large");
  });
});
