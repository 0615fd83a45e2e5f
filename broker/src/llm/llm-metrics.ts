import { Counter, Histogram, type Registry } from "prom-client";
import { LabelCap, type TokenUsage } from "@mcp-gateway/core";

/** `metrics.consumerLabel`: label the token counter by consumer too, at most `consumerLabelLimit` names. */
export interface LlmMetricsOptions {
  consumerLabel?: boolean | undefined;
  consumerLabelLimit?: number | undefined;
}

/**
 * The LLM proxy's metrics; labels are bounded: configured providers and models, fixed kinds and outcomes, and (only
 * when switched on) the first `consumerLabelLimit` consumers by name, later ones counted as "other".
 */
export class LlmMetrics {
  readonly tokens: Counter<"provider" | "model" | "kind" | "consumer">;
  private readonly consumers: LabelCap | undefined;
  readonly requestSeconds: Histogram<"provider" | "model" | "outcome">;
  readonly toolCalls: Counter<"outcome">;

  constructor(registry: Registry, options: LlmMetricsOptions = {}) {
    const registers = [registry];
    this.consumers = options.consumerLabel ? new LabelCap(options.consumerLabelLimit ?? 100) : undefined;
    this.tokens = new Counter({
      name: "mcp_gateway_llm_tokens_total",
      help: this.consumers
        ? "LLM tokens the providers reported, by provider, model, kind (input, output) and consumer"
        : "LLM tokens the providers reported, by provider, model and kind (input, output)",
      labelNames: this.consumers ? ["provider", "model", "kind", "consumer"] : ["provider", "model", "kind"],
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

  /** Counts one LLM request's tokens (every round) for its provider and model, and its consumer when labelled. */
  countTokens(labels: { provider: string; model: string }, consumer: string, usage: TokenUsage): void {
    const who = this.consumers ? { consumer: this.consumers.label(consumer) } : {};
    this.tokens.inc({ ...labels, ...who, kind: "input" }, usage.input);
    this.tokens.inc({ ...labels, ...who, kind: "output" }, usage.output);
  }
}
