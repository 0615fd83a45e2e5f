import { z } from "zod";
import { parseDurationMs } from "./duration";
import { expectedFound } from "./issue-messages";

/** Server names: lower-case, usable in header values, metric labels and cluster names. */
export const SERVER_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,62}$/;
/** An HTTP header name (RFC 9110 token). */
export const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * An HTTP field value (RFC 9110 §5.5): visible ASCII, spaces and tabs inside, obs-text; no CR, LF, NUL or other
 * controls (a header injection, or a value every call would fail on) and no blanks at either end (trimmed by peers).
 */
export const HEADER_VALUE_RE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;

const DURATION_EXPECTED = 'a duration like "5s", "250ms", "10m" or seconds';
/** A string or a number; anything else is reported as what it is (a list, a mapping, …). */
const durationText = z.union([z.string(), z.number()], {
  error: (issue) => expectedFound(DURATION_EXPECTED, issue.input),
});

/** A duration as `5s`, `250ms`, `10m`, `24h` or seconds; parsed to milliseconds. */
export const duration = durationText.transform((value, ctx) => {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: "custom",
      message: `expected ${DURATION_EXPECTED}, got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  return ms;
});

/** An http(s) URL. */
export const httpUrl = z.url({ protocol: /^https?$/, error: "expected an http(s) URL" });

const HOST_PORT_RE = /^([^\s:]+):(\d{1,5})$/;

/**
 * Splits a listen address `host:port` (port 0 to 65535, 0 meaning any free port); undefined when malformed. The one
 * rule for the config's listen fields, so `validate` refuses exactly what `serve` would fail to bind.
 */
export function parseHostPort(value: string): { host: string; port: number } | undefined {
  const match = HOST_PORT_RE.exec(value);
  const port = Number(match?.[2]);
  return match?.[1] !== undefined && port <= 65535 ? { host: match[1], port } : undefined;
}

/** A listen address `host:port`. */
export const listenSchema = z.string().refine((value) => parseHostPort(value) !== undefined, {
  error: (issue) => `expected "host:port" with a port from 0 to 65535, got ${JSON.stringify(issue.input)}`,
});
