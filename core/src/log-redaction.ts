import { nullRecord } from "./own-keys";

/**
 * What the gateway's logs never show. Keys are censored wherever they appear in a line's fields (pino `redact`, up to
 * {@link REDACT_DEPTH} levels deep); free text (error messages and causes, string fields) is scrubbed of credentials
 * in URLs, `Bearer`/`Basic` values and secret-named query parameters, since an error message may quote what failed.
 */

/** Field names whose values are secrets (matched exactly, lower and camel case as the code base writes them). */
export const SECRET_KEYS: readonly string[] = [
  "authorization",
  "Authorization",
  "proxy-authorization",
  "x-api-key",
  "cookie",
  "Cookie",
  "set-cookie",
  "token",
  "tokens",
  "accessToken",
  "access_token",
  "refreshToken",
  "refresh_token",
  "subjectToken",
  "subject_token",
  "idToken",
  "apiKey",
  "api_key",
  "password",
  "secret",
  "clientSecret",
  "privateKey",
  "clientAssertion",
  "client_assertion",
  "client_secret",
  "identitySecret",
  "tokenHash",
  "mcp-session-id",
  "sessionId",
];

/** Fields holding whole header sets (client or upstream headers): censored entirely, whatever they contain. */
export const HEADER_KEYS: readonly string[] = ["headers", "upstreamHeaders", "upstreamAuth"];

/** How deep below a line's top level {@link SECRET_KEYS} are found. */
export const REDACT_DEPTH = 4;

/** The replacement written instead of a secret. */
export const REDACTED = "[redacted]";

const bracket = (key: string): string => (/^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`);

/** pino `redact.paths` for {@link SECRET_KEYS} and {@link HEADER_KEYS} at every depth up to {@link REDACT_DEPTH}. */
export function redactPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth <= REDACT_DEPTH; depth++) {
    const prefix = "*.".repeat(depth);
    for (const key of [...SECRET_KEYS, ...HEADER_KEYS]) {
      const last = bracket(key);
      // A bracketed key follows its wildcard directly (`*["x-api-key"]`), a plain one after a dot (`*.cookie`).
      paths.push(last.startsWith("[") ? `${prefix.slice(0, -1)}${last}` : `${prefix}${last}`);
    }
  }
  return paths;
}

// userinfo in a URL, an Authorization scheme's credentials, a secret-named query or form parameter, a key: value pair.
const SECRET_TEXT: readonly [RegExp, string][] = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^\s/@:]*:[^\s/@]*@/gi, `$1${REDACTED}@`],
  [/\b(Bearer|Basic)\s+[^\s,;"']+/gi, `$1 ${REDACTED}`],
  [
    /([?&;\s](?:access_token|refresh_token|id_token|token|api[_-]?key|apikey|key|secret|client_secret|password|sig|signature)=)[^&\s"']+/gi,
    `$1${REDACTED}`,
  ],
  [/\b(authorization|x-api-key|cookie|password|secret)(["']?\s*[:=]\s*["']?)[^\s,;"'}]+/gi, `$1$2${REDACTED}`],
];

/** `text` with credentials it may quote replaced by {@link REDACTED}. */
export function scrubText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SECRET_TEXT) out = out.replace(pattern, replacement);
  return out;
}

/** Levels of `cause` followed when logging an error. */
const MAX_CAUSES = 4;

/**
 * A log field's value as written: an Error becomes `{ name, message, cause }` (no stack, messages scrubbed, causes
 * followed {@link MAX_CAUSES} deep), a string is scrubbed, anything else is left to pino's redaction.
 */
export function logValue(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return scrubText(value);
  if (!(value instanceof Error)) return value;
  const out = nullRecord<unknown>();
  out["name"] = value.name;
  out["message"] = scrubText(value.message);
  const code = (value as { code?: unknown }).code;
  if (typeof code === "string" || typeof code === "number") out["code"] = code;
  if (value.cause !== undefined && depth < MAX_CAUSES) out["cause"] = logValue(value.cause, depth + 1);
  return out;
}
