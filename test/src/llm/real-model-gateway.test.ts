import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import { startLlamaProvider, type LlamaProvider } from "../support/llama-provider";
import { startLlmStack, toolResults, type LlmStack } from "../e2e/llm-proxy-setup";
import type { RecordedRequest } from "../support/openai-provider";

// Smoke test of the LLM proxy with a real model: the standalone gateway's provider is Qwen2.5-Coder-0.5B-Instruct
// (GGUF on the CPU through node-llama-cpp, support/llama-provider.ts) behind a recording pass-through, so the test
// sees what the gateway sent the model and what the model answered. It asserts the mechanics, not the prose: the
// tool offered, the model's call reaching the weather server through the gateway, the tokens counted. Needs
// `npm run model:fetch` (.ci/run does it); fails, never skips, without the model.
jest.setTimeout(240_000);

interface Exchange {
  request: RecordedRequest;
  reply: Record<string, unknown>;
}

/** An HTTP pass-through to `target` that records each request and its (JSON) answer; non-streaming requests only. */
async function startRecorder(target: string): Promise<{ url: string; exchanges: Exchange[]; server: Server }> {
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => {
      const rawBody = Buffer.concat(parts).toString("utf8");
      const path = (req.url ?? "").replace(/^\/v1/, "");
      void fetch(`${target}${path}`, {
        method: req.method,
        headers: { "content-type": "application/json" },
        body: rawBody,
      })
        .then(async (answer) => {
          const text = await answer.text();
          const request = {
            method: req.method ?? "",
            path: req.url ?? "",
            headers: req.headers,
            rawHeaders: req.rawHeaders,
          };
          exchanges.push({
            request: { ...request, body: JSON.parse(rawBody) as Record<string, unknown>, rawBody },
            reply: JSON.parse(text) as Record<string, unknown>,
          });
          res.writeHead(answer.status, { "content-type": "application/json" }).end(text);
        })
        .catch(() => res.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, exchanges, server };
}

let model: LlamaProvider;
let recorder: Awaited<ReturnType<typeof startRecorder>>;
let llm: LlmStack;
let rita: OpenAI;

beforeAll(async () => {
  model = await startLlamaProvider();
  recorder = await startRecorder(model.url);
  llm = await startLlmStack({
    policies: [`forecast-llm: { tools: ["weather_get_forecast"], llm: { providers: [local] } }`],
    consumers: [{ name: "rita", key: "mcpgw_llm_rita_key", policy: "forecast-llm" }],
    extraProviders: [
      `{ name: local, baseUrl: "${recorder.url}", apiKey: "sk-local-unused", defaultModel: ${model.model}, timeout: 180s, maxToolRounds: 1, maxTokens: 96 }`,
    ],
  });
  rita = llm.client("mcpgw_llm_rita_key");
}, 120_000);
afterAll(async () => {
  await llm?.stop();
  if (recorder) await new Promise((resolve) => recorder.server.close(resolve));
  await model?.close();
});

describe("the LLM proxy with a real small model", () => {
  it.each(["auto", "required"] as const)(
    "tool_choice %s: the model calls the consumer's MCP tool through the gateway and answers; tokens counted",
    async (toolChoice) => {
      recorder.exchanges.splice(0);
      const since = (await llm.auditEvents()).length;
      const completion = await rita.chat.completions.create({
        model: model.model,
        messages: [{ role: "user", content: "What is the weather forecast for Lisbon?" }],
        tool_choice: toolChoice,
      });
      const [first, second] = recorder.exchanges;
      expect(recorder.exchanges).toHaveLength(2);
      // The gateway offered the model exactly the consumer's tool, with the client's tool_choice.
      const offered = first?.request.body?.["tools"] as { function: { name: string } }[];
      expect(offered.map((tool) => tool.function.name)).toEqual(["weather_get_forecast"]);
      expect(first?.request.body?.["tool_choice"]).toBe(toolChoice);
      // The model called it; the gateway ran it on the weather server and sent the result back; the round cap (1)
      // sent the next turn without tools, and its text is the client's answer.
      const results = toolResults(second?.request);
      expect(results).toHaveLength(1);
      expect(JSON.parse(results[0]!.text)).toMatchObject({ city: expect.stringMatching(/lisbo/i) as string });
      expect(second?.request.body?.["tools"]).toBeUndefined();
      expect(completion.choices[0]?.message.content?.trim()).not.toBe("");
      expect((completion as unknown as { mcp_tool_calls: unknown[] }).mcp_tool_calls).toEqual([
        expect.objectContaining({ name: "weather_get_forecast", status: "completed" }),
      ]);
      // Tokens: the client's usage is the sum of what the model reported for both turns.
      const reported = recorder.exchanges.map(
        (e) => e.reply["usage"] as { prompt_tokens: number; completion_tokens: number },
      );
      const input = reported.reduce((sum, usage) => sum + usage.prompt_tokens, 0);
      const output = reported.reduce((sum, usage) => sum + usage.completion_tokens, 0);
      expect(input).toBeGreaterThan(0);
      expect(completion.usage).toMatchObject({
        prompt_tokens: input,
        completion_tokens: output,
        total_tokens: input + output,
      });
      // Audit: the tool call went through the MCP path as the consumer's own; the LLM request's event has the tokens.
      const call = await llm.auditEvent(since, (e) => e["method"] === "tools/call");
      expect(call).toMatchObject({ consumer: "rita", target: "weather_get_forecast", decision: "allowed" });
      const event = await llm.auditEvent(since, (e) => e["method"] === "llm/chat.completions");
      expect(event).toMatchObject({ consumer: "rita", decision: "allowed", target: model.model });
      expect(event["llm"]).toMatchObject({
        provider: "local",
        inputTokens: input,
        outputTokens: output,
        toolCalls: [{ name: "weather_get_forecast", outcome: "ok" }],
      });
    },
  );
});
