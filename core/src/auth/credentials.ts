import { lookupOwn } from "../own-keys";

/** RFC 6750 §2.1: `Bearer 1*SP b64token`; b64token is `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`. */
const BEARER_RE = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of an `Authorization: Bearer <token>` value, or undefined when the value is anything else. */
export function parseBearer(value: string): string | undefined {
  return BEARER_RE.exec(value.trim())?.[1];
}

/**
 * Reads an API key from request headers (names lower-case, as HTTP/2 and Envoy give them). From `authorization` the
 * key must be a well-formed `Bearer <key>` (scheme in any case, one token); from any other header it is the value
 * trimmed. Undefined when the header is absent, empty or not in that form.
 */
export function readApiKey(headers: Readonly<Record<string, string>>, header: string): string | undefined {
  const name = header.toLowerCase();
  const value = lookupOwn(headers, name);
  if (value === undefined) return undefined;
  if (name === "authorization") return parseBearer(value);
  const trimmed = value.trim();
  return trimmed === "" ? undefined : trimmed;
}

/** The bearer token of the `authorization` header, or undefined when there is none or it is malformed. */
export function readBearerToken(headers: Readonly<Record<string, string>>): string | undefined {
  return readApiKey(headers, "authorization");
}
