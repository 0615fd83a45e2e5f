import OpenAI from "openai";
import { startLlamaProvider, type LlamaProvider } from "../support/llama-provider";

// A real language model (Qwen2.5-Coder-0.5B-Instruct, GGUF, on the CPU through node-llama-cpp) behind the OpenAI
// wire format, asked by the official `openai` SDK. Needs `npm run model:fetch` (.ci/run does it); fails, never skips,
// without the model.
const WEATHER_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

describe("a real small model behind the OpenAI Chat Completions wire format", () => {
  let provider: LlamaProvider;
  let client: OpenAI;

  beforeAll(async () => {
    provider = await startLlamaProvider();
    client = new OpenAI({ baseURL: provider.url, apiKey: "unused-by-the-local-model", maxRetries: 0 });
  }, 60_000);
  afterAll(async () => provider?.close());

  it("answers a short question with text and usage", async () => {
    const reply = await client.chat.completions.create({
      model: provider.model,
      messages: [{ role: "user", content: "What is the capital of France? Answer in one word." }],
      max_tokens: 16,
    });
    expect(reply.choices[0]?.message.content).toMatch(/paris/i);
    expect(reply.usage?.prompt_tokens).toBeGreaterThan(5);
    expect(reply.usage?.completion_tokens).toBeGreaterThan(0);
    expect(reply.usage?.total_tokens).toBe((reply.usage?.prompt_tokens ?? 0) + (reply.usage?.completion_tokens ?? 0));
  });

  it.each(["required", "auto"] as const)(
    "calls a tool (tool_choice %s) with arguments from the question",
    async (toolChoice) => {
      const reply = await client.chat.completions.create({
        model: provider.model,
        messages: [{ role: "user", content: "What is the weather in Lisbon right now?" }],
        tools: [WEATHER_TOOL],
        tool_choice: toolChoice,
        max_tokens: 64,
      });
      const call = reply.choices[0]?.message.tool_calls?.[0];
      expect(reply.choices[0]?.finish_reason).toBe("tool_calls");
      expect(call?.type === "function" && call.function.name).toBe("get_weather");
      const args = JSON.parse(call?.type === "function" ? call.function.arguments : "{}") as { city?: string };
      expect(args.city).toMatch(/^lisbo[an]$/i); // the model writes Lisbon or Lisboa
    },
  );

  it("streams a tool call as a tool_calls delta", async () => {
    const stream = await client.chat.completions.create({
      model: provider.model,
      messages: [{ role: "user", content: "What is the weather in Lisbon right now?" }],
      tools: [WEATHER_TOOL],
      max_tokens: 64,
      stream: true,
    });
    const names: string[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      for (const call of chunk.choices[0]?.delta.tool_calls ?? []) names.push(call.function?.name ?? "");
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(names).toEqual(["get_weather"]);
    expect(finish).toBe("tool_calls");
  });

  it("streams text deltas over SSE", async () => {
    const stream = await client.chat.completions.create({
      model: provider.model,
      messages: [{ role: "user", content: "Say hello." }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let completionTokens = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      completionTokens = chunk.usage?.completion_tokens ?? completionTokens;
    }
    expect(text.trim()).not.toBe("");
    expect(completionTokens).toBeGreaterThan(0);
  });
});
