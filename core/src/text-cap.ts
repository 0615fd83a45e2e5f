import { createHash } from "node:crypto";

/** Longest client-chosen name, URI or id the gateway echoes in an error message or writes to the audit log. */
export const MAX_ECHOED_CHARS = 256;

/**
 * `value` cut to at most `max` characters plus a marker naming the full length and a SHA-256 prefix of the whole
 * value, so a flood of huge names neither fills logs nor loses the means to tell two long values apart. A value within
 * `max` is returned as is. The cut never splits a surrogate pair.
 */
export function capText(value: string, max: number = MAX_ECHOED_CHARS): string {
  if (value.length <= max) return value;
  let end = max;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  const digest = createHash("sha256").update(value).digest("hex").slice(0, 16);
  return `${value.slice(0, end)}…[truncated: ${value.length} chars, sha256:${digest}]`;
}

/** `JSON.stringify` of {@link capText}: a client-chosen string as it appears inside an error message. */
export function quoteCapped(value: string, max: number = MAX_ECHOED_CHARS): string {
  return JSON.stringify(capText(value, max));
}
