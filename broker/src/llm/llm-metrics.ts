import { Counter, Histogram, type Registry } from "prom-client";

/** The LLM proxy's metrics; labels are bounded: configured providers and models, fixed kinds and outcomes. */
export class LlmMetrics {
  readonly tokens: Counter<"provider" | "model" | "kind">;
  readonly requestSeconds: Histogram<"provider" | "model" | "outcome">;
  readonly toolCalls: Counter<"outcome">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.tokens = new Counter({
      name: "mcp_gateway_llm_tokens_total",
      help: "LLM tokens the providers reported, by provider, model and kind (input, output)",
      labelNames: ["provider", "model", "kind"],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: "mcp_gateway_llm_request_duration_seconds",
      help: "LLM requests from arrival to the end of the answer (every provider round and tool call), by outcome",
      labelNames: ["provider", "model", "outcome"],
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.toolCalls = new Counter({
      name: "mcp_gateway_llm_tool_calls_total",
      help: "Tool calls the gateway made for models, by outcome (ok, tool_error, refused)",
      labelNames: ["outcome"],
      registers,
    });
  }
}
