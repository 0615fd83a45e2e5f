import OpenAI from "openai";
import { pollUntil } from "./bounded-wait.js";
import { stall, startScriptedProvider, text, type ScriptedProvider, type ScriptedTurn } from "./openai-provider.js";

// The scripted provider's in-stream errors and its count of abandoned connections, judged by the official SDK
// (the rest of its wire format: openai-provider.test.ts).

const KEY = "sk-test-provider-key-0123456789";
const MODEL = "gpt-4o";
const USER = [{ role: "user" as const, content: "What is the weather in Paris?" }];

let provider: ScriptedProvider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

async function sdk(turns: ScriptedTurn[]): Promise<OpenAI> {
  provider = await startScriptedProvider({ apiKey: KEY, turns });
  return new OpenAI({ apiKey: KEY, baseURL: provider.url, maxRetries: 0 });
}

describe("in-stream errors and abandoned connections", () => {
  it("ends a chat stream with an in-stream error chunk, which the SDK raises with its message", async () => {
    const client = await sdk([text("one two three", { errorAfterEvents: 2, errorMessage: "model crashed" })]);
    const stream = await client.chat.completions.create({ model: MODEL, messages: USER, stream: true });
    let content = "";
    const consume = async () => {
      for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(consume()).rejects.toThrow(/model crashed/);
    expect(content).toBe("one ");
  });

  it("ends a responses stream with an error event the SDK hands over as the last event", async () => {
    const client = await sdk([text("one two", { errorAfterEvents: 1, errorMessage: "model crashed" })]);
    const stream = await client.responses.create({ model: MODEL, input: "hi", stream: true });
    const events: { type: string; message?: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event as (typeof events)[number]);
    expect(events.map((e) => [e.type, e.sequence_number])).toEqual([
      ["response.created", 0],
      ["error", 1],
    ]);
    expect(events[1]?.message).toBe("model crashed");
  });

  it("counts connections the client closed before the answer was complete", async () => {
    const client = await sdk([stall(30_000), text("done")]);
    const controller = new AbortController();
    const request = client.chat.completions.create({ model: MODEL, messages: USER }, { signal: controller.signal });
    expect(await pollUntil(() => provider!.requests.length === 1, 5000)).toBe(true);
    controller.abort();
    await expect(request).rejects.toThrow();
    expect(await pollUntil(() => provider!.abandoned() === 1, 5000)).toBe(true);
    await client.chat.completions.create({ model: MODEL, messages: USER });
    expect(provider!.abandoned()).toBe(1);
  });
});
