/** Default of `limits.maxJsonDepth`: how deeply a client's JSON-RPC message may nest (the message itself is level 1). */
export const DEFAULT_MAX_JSON_DEPTH = 64;

/**
 * True when `value` nests objects or arrays deeper than `limit` levels (a bare object or array is one level).
 * Iterative, and it stops at the first level past the limit: safe on any input, unlike the recursive code that must
 * never see such a value (JSON.stringify, canonicalization, redaction overflow the stack near 10^4 levels).
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== "object") return false;
  const stack: [object, number][] = [[value, 1]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, depth] = top;
    if (depth > limit) return true;
    const children: unknown[] = Array.isArray(node) ? node : Object.values(node);
    for (const child of children) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}
