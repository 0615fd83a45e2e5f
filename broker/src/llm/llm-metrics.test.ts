import { Registry } from "prom-client";
import { LlmMetrics } from "./llm-metrics";

const LABELS = { provider: "openai", model: "gpt-4o" };

async function tokenLines(registry: Registry): Promise<string[]> {
  const text = await registry.getSingleMetricAsString("mcp_gateway_llm_tokens_total");
  return text.split("\n").filter((line) => line.startsWith("mcp_gateway_llm_tokens_total{"));
}

describe("LlmMetrics", () => {
  it("counts tokens by provider, model and kind, without a consumer label by default", async () => {
    const registry = new Registry();
    new LlmMetrics(registry).countTokens(LABELS, "alice", { input: 12, output: 3 });
    expect(await tokenLines(registry)).toEqual([
      'mcp_gateway_llm_tokens_total{provider="openai",model="gpt-4o",kind="input"} 12',
      'mcp_gateway_llm_tokens_total{provider="openai",model="gpt-4o",kind="output"} 3',
    ]);
  });

  it("labels tokens by consumer when switched on, the first consumerLabelLimit names, later ones as other", async () => {
    const registry = new Registry();
    const metrics = new LlmMetrics(registry, { consumerLabel: true, consumerLabelLimit: 2 });
    metrics.countTokens(LABELS, "alice", { input: 1, output: 1 });
    metrics.countTokens(LABELS, "bob", { input: 2, output: 2 });
    metrics.countTokens(LABELS, "carol", { input: 4, output: 4 });
    metrics.countTokens(LABELS, "__proto__", { input: 8, output: 8 });
    metrics.countTokens(LABELS, "alice", { input: 16, output: 16 });
    const inputs = (await tokenLines(registry)).filter((line) => line.includes('kind="input"'));
    expect(inputs).toEqual([
      'mcp_gateway_llm_tokens_total{provider="openai",model="gpt-4o",consumer="alice",kind="input"} 17',
      'mcp_gateway_llm_tokens_total{provider="openai",model="gpt-4o",consumer="bob",kind="input"} 2',
      'mcp_gateway_llm_tokens_total{provider="openai",model="gpt-4o",consumer="other",kind="input"} 12',
    ]);
  });
});
