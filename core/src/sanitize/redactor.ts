import { compileRule, type CompiledRule, type RedactionRule } from "./redaction-rule";
import { ValueRedactor, type ResultRedactor } from "./value-redactor";

/** The replacement text when the config names none. */
export const DEFAULT_REPLACEMENT = "[REDACTED]";

/** Methods whose results are sanitized: the ones that hand an upstream's content to the client. */
export const SANITIZED_METHODS: ReadonlySet<string> = new Set(["tools/call", "resources/read", "prompts/get"]);

/** One routed call as the redactor sees it: its upstream, its method and the name the client used for its target. */
export interface RedactedCall {
  server: string;
  method: string;
  /** The prefixed tool name, prompt name or resource URI (what `targets` globs match). */
  target: string;
  /** A resource URI's prefixed form as the upstream normalizes it: a rule matching either form applies. */
  normalizedTarget?: string | undefined;
}

// Distinct combinations of applying rules are few in practice; the bound only guards against a pathological config.
const MAX_CACHED = 256;

/**
 * Response sanitization: which rules apply to a call, and one {@link ResultRedactor} per combination of them, built
 * once and reused. Bad patterns fail at construction (config load), never on a request.
 */
export class Redactor {
  private readonly rules: readonly CompiledRule[];
  private readonly cache = new Map<string, ResultRedactor>();
  private anyCall: ResultRedactor | undefined;

  /** Throws a {@link RedactionPatternError} naming the first pattern that does not compile or matches "". */
  constructor(
    rules: readonly RedactionRule[],
    private readonly replacement: string = DEFAULT_REPLACEMENT,
  ) {
    this.rules = rules.map(compileRule);
  }

  /** The redactor for one call, or undefined when no rule applies (then the reply is not touched at all). */
  forCall(call: RedactedCall): ResultRedactor | undefined {
    if (!SANITIZED_METHODS.has(call.method)) return undefined;
    const applying: number[] = [];
    this.rules.forEach((rule, index) => {
      const applies =
        rule.appliesTo(call.server, call.target) ||
        (call.normalizedTarget !== undefined && rule.appliesTo(call.server, call.normalizedTarget));
      if (applies && (rule.keys.length > 0 || rule.patterns.length > 0)) applying.push(index);
    });
    if (applying.length === 0) return undefined;
    const key = applying.join(",");
    let redactor = this.cache.get(key);
    if (redactor === undefined) {
      redactor = this.build(applying.map((index) => this.rules[index] as CompiledRule));
      if (this.cache.size < MAX_CACHED) this.cache.set(key, redactor);
    }
    return redactor;
  }

  /**
   * Every rule's keys and patterns at once, whatever its `servers` and `targets`, or undefined when no rule replaces
   * anything: for content recorded before (or without) knowing which rules a call gets, such as a tools/call's
   * captured arguments, so a value redacted anywhere is redacted there too (fail closed).
   */
  forAnyCall(): ResultRedactor | undefined {
    const applying = this.rules.flatMap((rule, index) =>
      rule.keys.length > 0 || rule.patterns.length > 0 ? [index] : [],
    );
    if (applying.length === 0) return undefined;
    this.anyCall ??= this.build(applying.map((index) => this.rules[index] as CompiledRule));
    return this.anyCall;
  }

  private build(rules: readonly CompiledRule[]): ResultRedactor {
    return new ValueRedactor({
      keys: [...new Set(rules.flatMap((rule) => rule.keys))],
      patterns: rules.flatMap((rule) => rule.patterns),
      replacement: this.replacement,
    });
  }
}
