import { keyValuePattern } from "./redaction-rule";

type Json = Record<string, unknown>;

/** Redacts one call's results (see {@link Redactor.forCall}). */
export interface ResultRedactor {
  /** The result with secrets replaced; the same object when nothing matched. */
  redact(result: Record<string, unknown>): Record<string, unknown>;
}

/** What a {@link ValueRedactor} replaces: lower-case key names, compiled patterns, and the text put in their place. */
export interface RedactionSet {
  keys: readonly string[];
  patterns: readonly RegExp[];
  replacement: string;
}

/** Deeper results are refused (thrown at): the walk is recursive, and no real result comes near this. */
export const MAX_REDACTION_DEPTH = 256;

// Base64 payloads (a resource's `blob`, an image or audio block's `data`) are not text: a pattern matching inside one
// would corrupt the file, and decoding every payload to scan it is out of scope. Their keys are still matched.
function isBinary(owner: Json, key: string): boolean {
  if (key === "blob") return typeof owner["uri"] === "string";
  return key === "data" && (owner["type"] === "image" || owner["type"] === "audio");
}

// A plain assignment to "__proto__" would set the copy's prototype instead of the own property JSON.parse made.
function setOwn(target: Json, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true });
  else target[key] = value;
}

// The indentation of pretty-printed JSON, so a re-serialized text keeps its layout; undefined for compact JSON.
function indentOf(text: string): string | undefined {
  return /\n([ \t]+)\S/.exec(text)?.[1];
}

const STARTS_AS_JSON = /^\s*[[{]/;

/**
 * The recursive walk behind a {@link ResultRedactor}: values under a matching key are replaced whatever their type;
 * every other string, member names included, has the patterns and the `key=value` forms of the keys replaced, and a string holding JSON (a
 * tool's text content often does) is parsed, redacted the same way and serialized again. Objects and arrays are
 * copied only when something inside them changed, so a clean result comes back as the very same object.
 */
export class ValueRedactor implements ResultRedactor {
  private readonly keys: ReadonlySet<string>;
  private readonly keyValue: RegExp | undefined;
  private readonly replaceMatch: (match: string) => string;
  private readonly replaceKeyValue: (match: string, ...groups: (string | undefined)[]) => string;

  constructor(private readonly set: RedactionSet) {
    this.keys = new Set(set.keys);
    this.keyValue = keyValuePattern(set.keys);
    const { replacement } = set;
    // Functions, not strings: a replacement containing `$&` or `$1` is meant literally.
    this.replaceMatch = (match) => (match === "" ? match : replacement);
    this.replaceKeyValue = (_match, head, _quote, doubleQuoted, singleQuoted) => {
      if (doubleQuoted !== undefined) return `${head}"${replacement}"`;
      return singleQuoted !== undefined ? `${head}'${replacement}'` : `${head}${replacement}`;
    };
  }

  /** The result with secrets replaced; the same object when nothing matched. */
  redact(result: Record<string, unknown>): Record<string, unknown> {
    return this.object(result, 0);
  }

  private value(value: unknown, depth: number): unknown {
    if (typeof value === "string") return this.text(value, depth);
    if (value === null || typeof value !== "object") return value;
    return Array.isArray(value) ? this.array(value, depth + 1) : this.object(value as Json, depth + 1);
  }

  private array(items: readonly unknown[], depth: number): readonly unknown[] {
    if (depth > MAX_REDACTION_DEPTH) throw new Error(`result nested deeper than ${MAX_REDACTION_DEPTH} levels`);
    let out: unknown[] | undefined;
    items.forEach((item, index) => {
      const next = this.value(item, depth);
      if (next === item) return;
      out ??= items.slice();
      out[index] = next;
    });
    return out ?? items;
  }

  private object(owner: Json, depth: number): Json {
    if (depth > MAX_REDACTION_DEPTH) throw new Error(`result nested deeper than ${MAX_REDACTION_DEPTH} levels`);
    const keys = Object.keys(owner);
    const names = this.memberNames(keys, depth);
    // Renamed members: a new object in the same member order. Otherwise a copy only when a value changed.
    let out: Json | undefined = names === undefined ? undefined : {};
    keys.forEach((key, index) => {
      const item = owner[key];
      let next: unknown;
      if (this.keys.has(key.toLowerCase())) next = this.set.replacement;
      else next = isBinary(owner, key) ? item : this.value(item, depth);
      if (names !== undefined) setOwn(out as Json, names[index] as string, next);
      else if (next !== item) setOwn((out ??= { ...owner }), key, next);
    });
    return out ?? owner;
  }

  /**
   * Member names are text the client reads as well, so they are redacted like strings (a secret used as a map key must
   * not survive). Undefined when no name changes. Two members must not end up under one name (one would be lost): a
   * renamed member whose new name is taken, by a member left as it is or by an earlier renamed one, gets the first free
   * `#2`, `#3`, … suffix, so every member is kept and the names depend only on the object's member order.
   */
  private memberNames(keys: readonly string[], depth: number): string[] | undefined {
    let names: string[] | undefined;
    keys.forEach((key, index) => {
      const name = this.text(key, depth);
      if (name === key) return;
      names ??= keys.slice();
      names[index] = name;
    });
    if (names === undefined) return undefined;
    const renamed = names;
    const taken = new Set(keys.filter((key, index) => renamed[index] === key));
    return renamed.map((name, index) => {
      if (name === keys[index]) return name;
      let unique = name;
      for (let n = 2; taken.has(unique); n++) unique = `${name}#${n}`;
      taken.add(unique);
      return unique;
    });
  }

  private text(text: string, depth: number): string {
    const embedded = this.embeddedJson(text, depth);
    if (embedded !== undefined) return embedded;
    let out = text;
    for (const pattern of this.set.patterns) out = out.replace(pattern, this.replaceMatch);
    return this.keyValue ? out.replace(this.keyValue, this.replaceKeyValue) : out;
  }

  // Redacted structurally, since a pattern or key form on the serialized text could break its syntax. Undefined when
  // the text is not JSON (then it is treated as plain text). Re-serializing only happens when something changed.
  private embeddedJson(text: string, depth: number): string | undefined {
    if (!STARTS_AS_JSON.test(text)) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return undefined;
    }
    const redacted = this.value(parsed, depth);
    return redacted === parsed ? text : JSON.stringify(redacted, null, indentOf(text));
  }
}
