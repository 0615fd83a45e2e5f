// The base64url alphabet without padding (RFC 4648 §5). Node's decoder also takes "+", "/", "=" and skips any other
// character, so a value is only trusted when it re-encodes to exactly the text given.
const BASE64URL_RE = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64url in its canonical form only: the unpadded alphabet, and unused low bits of the last character zero
 * (the text must be what encoding the bytes gives). Anything else is undefined, so every byte string has exactly one
 * accepted text: a signed token cannot be varied into a second valid spelling.
 */
export function decodeCanonicalBase64url(text: string): Buffer | undefined {
  if (!BASE64URL_RE.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? bytes : undefined;
}
