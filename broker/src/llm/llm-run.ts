import {
  addUsage,
  toolRefusalOutcome,
  type ModelChoice,
  type OfferedTool,
  type RequestedCall,
  type RoundBudget,
  type ToolOutcome,
  type UsageTotals,
} from "@mcp-gateway/core";
import type { McpToolSession } from "./mcp-tools";
import type { ProviderCall } from "./provider-client";

/** A requested call once the gateway made it. */
export interface MadeCall extends RequestedCall {
  /** The MCP tool it went to: an offered tool's, or the function's own name when none is offered under it. */
  tool: string;
  result: ToolOutcome;
}

/** Everything one LLM request's tool loop works with, and what it adds up. */
export class LlmRun {
  usage: UsageTotals = { input: 0, output: 0, total: 0 };
  readonly calls: MadeCall[] = [];
  rounds = 0;

  constructor(
    readonly choice: ModelChoice,
    readonly tools: readonly OfferedTool[],
    readonly mcp: McpToolSession,
    readonly provider: ProviderCall,
    readonly budget: RoundBudget,
  ) {}

  /** Whether this round may offer tools: there are some and the round cap is not reached. */
  offersTools(): boolean {
    return this.tools.length > 0 && this.rounds < this.choice.provider.maxToolRounds;
  }

  /** `max_tokens`-like value of the client, lowered to the provider's cap. */
  capTokens(requested: unknown): number | undefined {
    const cap = this.choice.provider.maxTokens;
    const given = typeof requested === "number" && requested > 0 ? requested : undefined;
    if (cap === undefined) return given;
    return given === undefined ? cap : Math.min(given, cap);
  }

  /** Checks the budget before a provider round. */
  async beforeRound(): Promise<void> {
    await this.budget.check();
  }

  /** Adds and charges a round's usage. */
  async afterRound(usage: UsageTotals): Promise<void> {
    this.rounds += 1;
    this.usage = addUsage(this.usage, usage);
    await this.budget.charge({ input: usage.input, output: usage.output });
  }

  /** Makes every requested call at once through the MCP session; each one's outcome is the model's tool result. */
  async makeCalls(requested: readonly RequestedCall[]): Promise<MadeCall[]> {
    const made = await Promise.all(requested.map((call) => this.makeCall(call)));
    this.calls.push(...made);
    return made;
  }

  // A function that names no offered tool (one the policy hides, or made up) is called by that name all the same: the
  // MCP path refuses it under the consumer's identity and audits the refusal, as it would the consumer's own call.
  private async makeCall(call: RequestedCall): Promise<MadeCall> {
    const tool = this.tools.find((offered) => offered.fn === call.fn)?.mcpName ?? call.fn;
    let args: unknown;
    try {
      args = call.arguments.trim() === "" ? {} : JSON.parse(call.arguments);
    } catch {
      return { ...call, tool, result: toolRefusalOutcome("the arguments are not valid JSON") };
    }
    if (typeof args !== "object" || args === null || Array.isArray(args))
      return { ...call, tool, result: toolRefusalOutcome("the arguments must be a JSON object") };
    const result = await this.mcp.call(tool, args as Record<string, unknown>);
    return { ...call, tool, result };
  }
}
