import type { TokenUsage } from "./token-budget";
import type { UsageTotals } from "./usage";

/** Characters per token of the estimates: about four, as OpenAI's own rule of thumb for English text. */
const CHARS_PER_TOKEN = 4;
/** The input reserved before a round is sent: a low estimate (JSON and schemas tokenize denser), never above the real. */
const UPFRONT_CHARS_PER_TOKEN = 6;

/**
 * The tokens one provider round is charged. Part of its input is reserved before the round is sent (with its output:
 * RoundBudget.admit), so a consumer's concurrent requests see each other at once instead of all passing the check
 * before any is charged; when it ends the round is settled at the provider's usage, or an estimate from what was sent
 * and seen when the provider reported none (a client that went away mid-stream, a provider timeout, a stream cut
 * short, a provider that reports no usage).
 */
export class RoundMeter {
  private outputChars = 0;
  /** Input tokens reserved before the round is sent. */
  readonly upfront: number;

  constructor(private readonly requestChars: number) {
    this.upfront = Math.floor(requestChars / UPFRONT_CHARS_PER_TOKEN);
  }

  /** Counts text the model generated in this round (text deltas, tool-call names and arguments). */
  saw(text: unknown): void {
    if (typeof text === "string") this.outputChars += text.length;
  }

  /** What the round used: the provider's usage (or the estimate), its input never less than the upfront part. */
  settle(reported: UsageTotals | undefined): TokenUsage {
    const usage =
      reported !== undefined && reported.total > 0
        ? reported
        : {
            input: Math.ceil(this.requestChars / CHARS_PER_TOKEN),
            output: Math.ceil(this.outputChars / CHARS_PER_TOKEN),
          };
    return { input: Math.max(this.upfront, usage.input), output: usage.output };
  }
}
