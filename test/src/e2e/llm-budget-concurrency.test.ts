import { hashApiKey } from "@mcp-gateway/core";
import { startScriptedProvider, text, type ScriptedProvider } from "../support/openai-provider";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";

jest.setTimeout(60_000);

// Concurrent requests of one consumer against an output cap: each round reserves its max output when admitted, so
// only as many rounds as the cap covers reach the provider, however many start at once.

const KEY = "mcpgw_llm_budget_concurrency";
const PROVIDER_KEY = "sk-budget-concurrency-0123456789";

let provider: ScriptedProvider;
let stack: GatewayStack;

beforeAll(async () => {
  provider = await startScriptedProvider({ apiKey: PROVIDER_KEY, respond: () => text("fallback answer") });
  stack = await startGatewayStack(
    { kind: "standalone" },
    {
      access: `consumers:
  - { name: writer, keyHash: "${hashApiKey(KEY)}", policy: writer }
policies:
  writer: { tools: ["weather_*"], llm: { providers: [fake], tokens: { perMinute: { output: 100 } } } }
llm:
  providers:
    - { name: fake, baseUrl: "${provider.url}", apiKey: "${PROVIDER_KEY}", defaultModel: gpt-4o, maxTokens: 40, timeout: 10s }`,
    },
  );
});
afterAll(async () => {
  await stack?.stop();
  await provider?.close();
});

function post(body: unknown): Promise<Response> {
  return fetch(`${stack.brokerBase}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

describe("LLM token budgets under concurrency", () => {
  it("lets only the rounds a perMinute.output cap covers reach the provider (each reserves its max_tokens)", async () => {
    // Slow rounds that each use all 40 output tokens they may: none ends before the others start.
    for (let n = 0; n < 6; n++) provider.push(text("slow answer", { delayMs: 500, usage: { input: 20, output: 40 } }));
    const statuses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const response = await post({ model: "gpt-4o", messages: [{ role: "user", content: "write" }] });
        await response.text();
        return response.status;
      }),
    );
    // A round is admitted while the cap has room: with 0, 40 and 80 of 100 reserved, three rounds of max_tokens 40
    // are; at 120 (20 over, 12 s of refill) the other three are refused before the provider.
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(3);
    expect(provider.requests).toHaveLength(3);
    expect(
      provider.requests.map((request) => request.body?.["max_tokens"] ?? request.body?.["max_completion_tokens"]),
    ).toEqual([40, 40, 40]);
  });
});
