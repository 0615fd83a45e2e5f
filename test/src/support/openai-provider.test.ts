import OpenAI from "openai";
import { pollUntil, withDeadline } from "./bounded-wait.js";
import {
  dropConnection,
  httpError,
  startScriptedProvider,
  stall,
  text,
  toolCalls,
  type ScriptedProvider,
  type ScriptedTurn,
} from "./openai-provider.js";

// Differential test: the official OpenAI SDK (its stream helpers assemble tool_call deltas and Responses events and
// throw on malformed ones) is the judge of the scripted provider's wire format.

const KEY = "sk-test-provider-key-0123456789";
const MODEL = "gpt-4o";
const USER = [{ role: "user" as const, content: "What is the weather in Paris?" }];
const WEATHER_TOOL = {
  type: "function" as const,
  function: { name: "weather__get", description: "Weather", parameters: { type: "object", properties: {} } },
};

let provider: ScriptedProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function sdk(turns: ScriptedTurn[], options: { maxRetries?: number; timeout?: number } = {}) {
  provider = await startScriptedProvider({ apiKey: KEY, turns });
  return new OpenAI({ apiKey: KEY, baseURL: provider.url, maxRetries: options.maxRetries ?? 0, ...options });
}

/** The raw SSE events of a streamed request, for checks the SDK is lenient about. */
async function rawEvents(path: string, body: unknown): Promise<{ event?: string; data: string }[]> {
  const res = await fetch(`${provider!.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const blocks = (await res.text()).split("\n\n").filter((b) => b !== "");
  return blocks.map((block) => {
    const lines = block.split("\n");
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7);
    const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));
    expect(data).toHaveLength(1);
    return event === undefined ? { data: data[0]! } : { event, data: data[0]! };
  });
}

describe("chat completions, non-streaming", () => {
  it("answers text with finish_reason stop and the configured usage", async () => {
    const client = await sdk([text("It is sunny.", { usage: { input: 11, output: 4 } })]);
    const completion = await client.chat.completions.create({ model: MODEL, messages: USER });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe(MODEL);
    expect(completion.choices[0]?.message).toMatchObject({ role: "assistant", content: "It is sunny." });
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
  });

  it("answers parallel tool calls with given and generated ids, object or string arguments", async () => {
    const client = await sdk([
      toolCalls([
        { name: "weather__get", arguments: { city: "Paris" }, id: "call_given" },
        { name: "notes__add", arguments: '{"text":"hi"}' },
      ]),
    ]);
    const completion = await client.chat.completions.create({ model: MODEL, messages: USER, tools: [WEATHER_TOOL] });
    const message = completion.choices[0]!.message;
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(message.content).toBeNull();
    const calls = message.tool_calls!.map((c) =>
      c.type === "function" ? [c.id, c.function.name, c.function.arguments] : [],
    );
    expect(calls[0]).toEqual(["call_given", "weather__get", '{"city":"Paris"}']);
    expect(calls[1]?.[0]).toMatch(/^call_[\w-]{24}$/);
    expect(calls[1]?.slice(1)).toEqual(["notes__add", '{"text":"hi"}']);
  });

  it("estimates usage from the prompt and the answer when none is configured", async () => {
    const client = await sdk([text("12345678")]);
    const completion = await client.chat.completions.create({ model: MODEL, messages: USER });
    expect(completion.usage?.completion_tokens).toBe(2);
    expect(completion.usage?.prompt_tokens).toBe(Math.ceil(JSON.stringify(USER).length / 4));
  });
});

describe("chat completions, streaming", () => {
  it("streams text in several deltas; the SDK assembles it and reads usage from the final empty-choices chunk", async () => {
    const client = await sdk([text("It is sunny in Paris.", { usage: { input: 9, output: 6 } })]);
    const stream = client.chat.completions.stream({
      model: MODEL,
      messages: USER,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    stream.on("chunk", (chunk) => chunks.push(chunk));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message.content).toBe("It is sunny in Paris.");
    expect(final.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(3);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 9, completion_tokens: 6, total_tokens: 15 },
    });
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.object === "chat.completion.chunk")).toBe(true);
  });

  it("sends no usage at all without stream_options.include_usage, and ends with [DONE]", async () => {
    await sdk([text("Hi there")]);
    const events = await rawEvents("/chat/completions", { model: MODEL, messages: USER, stream: true });
    expect(events.at(-1)?.data).toBe("[DONE]");
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(chunks.some((c) => "usage" in c)).toBe(false);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ delta: {}, finish_reason: "stop" }] });
  });

  it("streams parallel tool calls as index-keyed deltas the SDK assembles", async () => {
    const args = { city: "Paris", units: "metric", days: 3 };
    const client = await sdk([
      toolCalls([
        { name: "weather__get", arguments: args },
        { name: "notes__add", arguments: { text: "bring an umbrella" } },
      ]),
    ]);
    const stream = client.chat.completions.stream({ model: MODEL, messages: USER, tools: [WEATHER_TOOL] });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    stream.on("chunk", (chunk) => chunks.push(chunk));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    const calls = final.choices[0]!.message.tool_calls!;
    expect(
      calls.map((c) => (c.type === "function" ? [c.function.name, JSON.parse(c.function.arguments)] : [])),
    ).toEqual([
      ["weather__get", args],
      ["notes__add", { text: "bring an umbrella" }],
    ]);
    const opening = chunks[0]?.choices[0]?.delta;
    expect(opening).toMatchObject({
      role: "assistant",
      tool_calls: [{ index: 0, type: "function", function: { arguments: "" } }],
    });
    const fragments = chunks.filter(
      (c) => c.choices[0]?.delta.tool_calls?.[0]?.function?.arguments && !c.choices[0].delta.tool_calls[0].id,
    );
    expect(fragments.length).toBeGreaterThan(4);
    expect(
      fragments.every((c) => Object.keys(c.choices[0]!.delta.tool_calls![0]!).sort().join() === "function,index"),
    ).toBe(true);
  });
});

describe("responses, non-streaming", () => {
  it("answers a message item with output_text and the usage details", async () => {
    const client = await sdk([text("It is sunny.", { usage: { input: 20, output: 3, cached: 5, reasoning: 1 } })]);
    const response = await client.responses.create({
      model: MODEL,
      input: "Weather in Paris?",
      instructions: "Be brief",
    });
    expect(response).toMatchObject({ object: "response", status: "completed", model: MODEL, instructions: "Be brief" });
    expect(response.output_text).toBe("It is sunny.");
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant", status: "completed" });
    expect(response.usage).toEqual({
      input_tokens: 20,
      input_tokens_details: { cached_tokens: 5 },
      output_tokens: 3,
      output_tokens_details: { reasoning_tokens: 1 },
      total_tokens: 23,
    });
  });

  it("answers function_call items with call_id, name and arguments", async () => {
    const client = await sdk([
      toolCalls([{ name: "weather__get", arguments: { city: "Paris" }, id: "call_1" }, { name: "b" }]),
    ]);
    const response = await client.responses.create({ model: MODEL, input: "Weather?" });
    expect(response.output).toEqual([
      expect.objectContaining({
        type: "function_call",
        call_id: "call_1",
        name: "weather__get",
        arguments: '{"city":"Paris"}',
        status: "completed",
      }),
      expect.objectContaining({ type: "function_call", name: "b", arguments: "{}" }),
    ]);
    expect(response.output[0]?.id).toMatch(/^fc_/);
  });
});

describe("responses, streaming", () => {
  it("streams text events the SDK accumulates into the final response", async () => {
    const client = await sdk([text("It is sunny in Paris.", { usage: { input: 7, output: 5 } })]);
    const stream = client.responses.stream({ model: MODEL, input: "Weather?" });
    const snapshots: string[] = [];
    stream.on("response.output_text.delta", (event) => snapshots.push(event.snapshot));
    const final = await stream.finalResponse();
    expect(final.output_text).toBe("It is sunny in Paris.");
    expect(snapshots.length).toBeGreaterThan(3);
    expect(snapshots.at(-1)).toBe("It is sunny in Paris.");
    expect(final.usage).toMatchObject({ input_tokens: 7, output_tokens: 5, total_tokens: 12 });
  });

  it("streams function call argument deltas the SDK accumulates", async () => {
    const client = await sdk([
      toolCalls([
        { name: "weather__get", arguments: { city: "Paris", days: 3 } },
        { name: "notes__add", arguments: { text: "x" } },
      ]),
    ]);
    const stream = client.responses.stream({ model: MODEL, input: "Weather?" });
    const snapshots: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => snapshots.push(event.snapshot));
    const done: OpenAI.Responses.ResponseFunctionCallArgumentsDoneEvent[] = [];
    stream.on("response.function_call_arguments.done", (event) => done.push(event));
    const final = await stream.finalResponse();
    expect(snapshots).toContain('{"city":"Paris","days":3}');
    expect(done.map((e) => [e.name, e.arguments])).toEqual([
      ["weather__get", '{"city":"Paris","days":3}'],
      ["notes__add", '{"text":"x"}'],
    ]);
    expect(final.output.map((o) => o.type)).toEqual(["function_call", "function_call"]);
  });

  it("names every event in its event: line, numbers them from 0 and orders them as OpenAI does", async () => {
    await sdk([toolCalls({ name: "a", arguments: { x: 1 } }, { text: "Let me check." })]);
    const events = await rawEvents("/responses", { model: MODEL, input: "hi", stream: true });
    const data = events.map((e) => JSON.parse(e.data) as { type: string; sequence_number: number });
    expect(events.map((e) => e.event)).toEqual(data.map((d) => d.type));
    expect(data.map((d) => d.sequence_number)).toEqual(data.map((_, i) => i));
    const types = [...new Set(data.map((d) => d.type))];
    expect(types).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.function_call_arguments.delta",
      "response.function_call_arguments.done",
      "response.completed",
    ]);
  });
});

describe("errors and misbehaviour", () => {
  it.each([
    [400, OpenAI.BadRequestError],
    [403, OpenAI.PermissionDeniedError],
    [404, OpenAI.NotFoundError],
    [429, OpenAI.RateLimitError],
    [500, OpenAI.InternalServerError],
    [503, OpenAI.InternalServerError],
  ])("answers %i with OpenAI's error body, raised by the SDK as the right APIError", async (status, ErrorClass) => {
    const client = await sdk([httpError(status, { message: "scripted failure", code: "scripted" })]);
    const failure = await client.chat.completions.create({ model: MODEL, messages: USER }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ErrorClass);
    expect(failure).toMatchObject({ status, code: "scripted", param: null, error: { message: "scripted failure" } });
  });

  it("rejects a wrong key with 401 invalid_api_key without echoing it", async () => {
    provider = await startScriptedProvider({ apiKey: KEY, turns: [text("never")] });
    const client = new OpenAI({ apiKey: "sk-wrong-key-abcdef", baseURL: provider.url, maxRetries: 0 });
    const failure = await client.models.list().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(failure).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error" });
    expect(JSON.stringify(failure)).not.toContain("abcdef");
    expect(provider.requests[0]?.headers.authorization).toBe("Bearer sk-wrong-key-abcdef");
    expect(provider.remaining()).toBe(1);
  });

  it("sends Retry-After on a 429, which the SDK honours before retrying", async () => {
    const client = await sdk([httpError(429, { retryAfter: 1 }), text("ok")], { maxRetries: 1 });
    const started = Date.now();
    const completion = await client.chat.completions.create({ model: MODEL, messages: USER });
    expect(completion.choices[0]?.message.content).toBe("ok");
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(provider!.requests).toHaveLength(2);
  });

  it("exposes Retry-After on the RateLimitError", async () => {
    const client = await sdk([httpError(429, { retryAfter: 7 })]);
    const failure = await client.responses.create({ model: MODEL, input: "hi" }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.RateLimitError);
    expect((failure as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("7");
  });

  it("drops the connection: the SDK reports a connection error", async () => {
    const client = await sdk([dropConnection()]);
    const failure = await client.chat.completions.create({ model: MODEL, messages: USER }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it("holds a stalled response past the client's timeout", async () => {
    const client = await sdk([stall(30_000)], { timeout: 300 });
    const started = Date.now();
    const failure = await client.chat.completions.create({ model: MODEL, messages: USER }).catch((e: unknown) => e);
    // The SDK's own timeout abort; under Jest the abort reason comes from another realm, so the SDK cannot tell it
    // from other connection errors (APIConnectionTimeoutError outside Jest).
    expect(failure).toBeInstanceOf(OpenAI.APIConnectionError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(provider!.requests).toHaveLength(1);
  });

  it("stalls mid-stream after the given number of events", async () => {
    const client = await sdk([text("one two three", { stallAfterEvents: 2, stallMs: 30_000 })]);
    const stream = await client.chat.completions.create({ model: MODEL, messages: USER, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    expect((await iterator.next()).value?.choices[0]?.delta.role).toBe("assistant");
    expect((await iterator.next()).value?.choices[0]?.delta.content).toBe("one ");
    const quiet = new Promise((resolve) => setTimeout(resolve, 400, "quiet"));
    expect(await Promise.race([iterator.next(), quiet])).toBe("quiet");
    stream.controller.abort();
  });

  it("drops the connection mid-stream: the SDK stream fails after the events sent", async () => {
    const client = await sdk([text("one two three", { dropAfterEvents: 2 })]);
    const stream = client.chat.completions.stream({ model: MODEL, messages: USER });
    const chunks: unknown[] = [];
    stream.on("chunk", (chunk) => chunks.push(chunk));
    await expect(stream.finalChatCompletion()).rejects.toThrow();
    expect(chunks).toHaveLength(2);
  });
});

describe("pacing and shutdown", () => {
  it("streams text then a tool call in one chat turn, events spaced by eventIntervalMs", async () => {
    const client = await sdk([
      toolCalls({ name: "a", arguments: { x: 1 } }, { text: "Checking.", eventIntervalMs: 60 }),
    ]);
    const stream = client.chat.completions.stream({ model: MODEL, messages: USER });
    const arrivals: number[] = [];
    stream.on("chunk", () => arrivals.push(Date.now()));
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.message).toMatchObject({
      content: "Checking.",
      tool_calls: [{ function: { name: "a" } }],
    });
    expect(arrivals.at(-1)! - arrivals[0]!).toBeGreaterThanOrEqual(50 * (arrivals.length - 1));
  });

  it("close() ends a stalled request at once", async () => {
    const client = await sdk([stall(60_000)]);
    const pending = client.chat.completions.create({ model: MODEL, messages: USER }).catch((e: unknown) => e);
    expect(await pollUntil(() => provider!.requests.length === 1, 5_000)).toBe(true);
    await withDeadline(provider!.close(), 2_000, "the provider to close");
    expect(await withDeadline(pending, 2_000, "the client to fail")).toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe("script and recording", () => {
  it("records the key, the offered tools and the tool results of a chat tool loop", async () => {
    const client = await sdk([
      toolCalls({ name: "weather__get", arguments: { city: "Paris" }, id: "call_w" }),
      text("Sunny."),
    ]);
    const first = await client.chat.completions.create({ model: MODEL, messages: USER, tools: [WEATHER_TOOL] });
    const assistant = first.choices[0]!.message;
    await client.chat.completions.create({
      model: MODEL,
      messages: [...USER, assistant, { role: "tool", tool_call_id: "call_w", content: "[REDACTED] 21C" }],
    });
    const [one, two] = provider!.requests;
    expect(one?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(one?.path).toBe("/v1/chat/completions");
    expect((one?.body?.["tools"] as (typeof WEATHER_TOOL)[]).map((t) => t.function.name)).toEqual(["weather__get"]);
    expect(two?.body?.["messages"]).toEqual(
      expect.arrayContaining([{ role: "tool", tool_call_id: "call_w", content: "[REDACTED] 21C" }]),
    );
    expect(provider!.remaining()).toBe(0);
  });

  it("lets a respond function answer from what it received (responses function_call_output)", async () => {
    provider = await startScriptedProvider({
      apiKey: KEY,
      turns: [toolCalls({ name: "weather__get", id: "call_r" })],
      respond: (request) => {
        const input = request.body?.["input"] as { type?: string; call_id?: string; output?: string }[];
        const result = input.find((item) => item.type === "function_call_output");
        return text(`saw ${result?.call_id}: ${result?.output}`);
      },
    });
    const client = new OpenAI({ apiKey: KEY, baseURL: provider.url, maxRetries: 0 });
    const first = await client.responses.create({ model: MODEL, input: "Weather?" });
    const call = first.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const second = await client.responses.create({
      model: MODEL,
      input: [call, { type: "function_call_output", call_id: call.call_id, output: "sunny" }],
    });
    expect(second.output_text).toBe("saw call_r: sunny");
  });

  it("answers 500 naming the path when the script has run out, and takes turns pushed later", async () => {
    const client = await sdk([]);
    const failure = await client.chat.completions.create({ model: MODEL, messages: USER }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ status: 500, error: { message: expect.stringContaining("no turn left") } });
    provider!.push(text("late"));
    const completion = await client.chat.completions.create({ model: MODEL, messages: USER });
    expect(completion.choices[0]?.message.content).toBe("late");
  });

  it("lists its models and answers unknown paths and bodies without a model in OpenAI's error shape", async () => {
    const client = await sdk([]);
    const models = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toEqual(["gpt-4o", "gpt-4o-mini"]);
    const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
    const unknown = await fetch(`${provider!.url}/embeddings`, { method: "POST", headers, body: "{}" });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({
      error: { message: "Invalid URL (POST /v1/embeddings)", type: "invalid_request_error", param: null, code: null },
    });
    const noModel = await fetch(`${provider!.url}/responses`, { method: "POST", headers, body: "not json" });
    expect(noModel.status).toBe(400);
    expect(provider!.requests.at(-1)?.rawBody).toBe("not json");
  });
});
