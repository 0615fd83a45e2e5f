import { globToRegExp } from "../catalog/glob";

/** One redaction rule (config `sanitize.rules[]`): where it applies and what it replaces. */
export interface RedactionRule {
  /** Limits the rule to calls whose prefixed tool name / prompt name / resource URI matches one of these globs (`*` only wildcard); absent = all */
  targets?: readonly string[];
  /** Limits the rule to these upstream server names; absent = all */
  servers?: readonly string[];
  /** JSON key names whose values are replaced (case-insensitive, exact name after lower-casing; e.g. password, api_key, token) */
  keys?: readonly string[];
  /** Regular expression sources; every match in any string is replaced */
  patterns?: readonly string[];
}

/** A redaction pattern that cannot be used: it does not compile, or it matches the empty string. */
export class RedactionPatternError extends Error {
  override readonly name = "RedactionPatternError";

  constructor(
    readonly pattern: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`sanitize: pattern ${JSON.stringify(pattern)} ${reason}`, options);
  }
}

/** A rule with its scope and patterns compiled once, at construction. */
export interface CompiledRule {
  /** True when the rule covers this upstream server and prefixed target name. */
  appliesTo(server: string, target: string): boolean;
  /** Key names, lower-cased. */
  readonly keys: readonly string[];
  /** The patterns, compiled with the `g` and `u` flags. */
  readonly patterns: readonly RegExp[];
}

/**
 * A pattern source compiled with `gu`. One that matches the empty string is rejected: it would "match" between every
 * two characters, so it is a mistake in the config rather than a rule anyone means.
 */
export function compilePattern(source: string): RegExp {
  let pattern: RegExp;
  try {
    pattern = new RegExp(source, "gu");
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new RedactionPatternError(source, `is not a valid regular expression (${reason})`, { cause: error });
  }
  if (new RegExp(source, "u").test("")) throw new RedactionPatternError(source, "matches the empty string");
  return pattern;
}

/** Compiles a rule's scope (server names, target globs) and patterns; throws {@link RedactionPatternError}. */
export function compileRule(rule: RedactionRule): CompiledRule {
  const servers = rule.servers === undefined ? undefined : new Set(rule.servers);
  const targets = rule.targets?.map(globToRegExp);
  return {
    appliesTo: (server, target) =>
      (servers === undefined || servers.has(server)) &&
      (targets === undefined || targets.some((glob) => glob.test(target))),
    keys: (rule.keys ?? []).map((key) => key.toLowerCase()),
    patterns: (rule.patterns ?? []).map(compilePattern),
  };
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * One expression for `key=value`, `key: value` and `"key": "value"` (or `'key': 'value'`) in plain text, for the given
 * (lower-case) key names, matched case-insensitively. Groups: 1 everything up to the value, 3 a double-quoted value,
 * 4 a single-quoted one, 5 a bare word (with an auth scheme in front kept as part of it: `Bearer abc` is one value).
 * The key must not continue a longer name (`my_password=` is not `password=`). Undefined when there are no keys.
 */
export function keyValuePattern(keys: readonly string[]): RegExp | undefined {
  if (keys.length === 0) return undefined;
  // Longest first, so a key that is a prefix of another ("token", "token_secret") does not win the alternation.
  const names = [...new Set(keys)].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const key = `(?<![\\w-])(["']?)(?:${names.join("|")})\\2`;
  const value = `"((?:[^"\\\\\\n]|\\\\.)*)"|'((?:[^'\\\\\\n]|\\\\.)*)'|((?:(?:bearer|basic|digest)[ \\t]+)?[^\\s"',;&<>(){}[\\]]+)`;
  return new RegExp(`(${key}[ \\t]*[:=][ \\t]*)(?:${value})`, "giu");
}
