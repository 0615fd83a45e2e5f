import {
  addUsage,
  RoundMeter,
  toolRefusalOutcome,
  type ModelChoice,
  type OfferedTool,
  type RequestedCall,
  type RoundBudget,
  type ToolOutcome,
  type TokenUsage,
  type UsageTotals,
} from "@mcp-gateway/core";

/**
 * Most tool calls the gateway makes for one model turn; the rest get a refusal as their result. A model (steered by
 * the prompt) asking for hundreds of calls at once would otherwise fan out that many concurrent MCP requests.
 */
export const MAX_CALLS_PER_TURN = 32;
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

  /** The round in flight: its meter and what its admission reserved. */
  private inFlight: { meter: RoundMeter; reserved: TokenUsage } | undefined;

  /**
   * Admits a provider round of `request` under the budget, reserving its input's upfront part and its maximum output
   * (`maxTokens`, the max_tokens the gateway sends, or a default) in the same step.
   */
  async beforeRound(request: unknown, maxTokens: number | undefined): Promise<void> {
    const meter = new RoundMeter(JSON.stringify(request).length);
    const reserved = await this.budget.admit(meter.upfront, maxTokens);
    this.inFlight = { meter, reserved };
  }

  /** Counts text the model generated in the round in flight (the estimate when the provider reports no usage). */
  saw(text: unknown): void {
    this.inFlight?.meter.saw(text);
  }

  /** Adds a round's usage and settles its reservation at it (an estimate when the provider reported none). */
  async afterRound(usage: UsageTotals): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    this.rounds += 1;
    this.usage = addUsage(this.usage, usage);
    if (inFlight) await this.budget.settle(inFlight.reserved, inFlight.meter.settle(usage));
    else await this.budget.charge(usage);
  }

  /** Settles the round in flight that ended without an answer (client gone, provider timeout or failure). */
  async abandonRound(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = undefined;
    if (inFlight) await this.budget.settle(inFlight.reserved, inFlight.meter.settle(undefined));
  }

  /** Makes every requested call at once through the MCP session; each one's outcome is the model's tool result. */
  async makeCalls(requested: readonly RequestedCall[]): Promise<MadeCall[]> {
    const made = await Promise.all(
      requested.map((call, n) =>
        n < MAX_CALLS_PER_TURN
          ? this.makeCall(call)
          : { ...call, tool: "", result: toolRefusalOutcome(`more than ${MAX_CALLS_PER_TURN} tool calls in one turn`) },
      ),
    );
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
