// Visible ASCII but `%`: the characters a header value may carry as they are. Everything else could be refused (CR, LF
// and NUL by Envoy; any control or non-Latin-1 character by Node), trimmed (leading or trailing space and tab) or
// read differently by each peer (bytes 0x80-0xFF: Latin-1 to Node, UTF-8 to others).
const PLAIN = /^[\x21-\x24\x26-\x7e]*$/;

const HEX = Array.from({ length: 256 }, (_, byte) => `%${byte.toString(16).toUpperCase().padStart(2, "0")}`);

/**
 * `text` (a name from upstream or client data) as a header value every peer accepts and reads back alike: each UTF-8
 * byte outside visible ASCII (0x21-0x7E), and `%` itself, becomes `%XX` (upper-case hex); the rest stays as it is, so
 * `decodeURIComponent` gives the text back. A lone surrogate (not text) encodes as U+FFFD, `%EF%BF%BD`.
 */
export function encodeHeaderText(text: string): string {
  if (PLAIN.test(text)) return text;
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : HEX[byte];
  }
  return out;
}
