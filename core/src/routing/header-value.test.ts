import { encodeHeaderText } from "./header-value";

// What Node accepts in a header value (its checkInvalidHeaderChar); Envoy refuses only CR, LF and NUL.
const NODE_FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

describe("encodeHeaderText", () => {
  it.each([
    ["get_forecast", "get_forecast"],
    ["a-b.c:d/e!~*'()", "a-b.c:d/e!~*'()"],
    ["jGS\u200B", "jGS%E2%80%8B"],
    ["crlf\r\nx-injected: yes", "crlf%0D%0Ax-injected:%20yes"],
    ["nul\u0000", "nul%00"],
    ["caf\u00e9", "caf%C3%A9"],
    ["100%", "100%25"],
    ["%41", "%2541"],
    [" padded\t", "%20padded%09"],
    ["del\u007f", "del%7F"],
    ["\u{1F600}", "%F0%9F%98%80"],
    ["lone\uD800", "lone%EF%BF%BD"],
    ["", ""],
  ])("encodes %j as %j", (text, header) => {
    expect(encodeHeaderText(text)).toBe(header);
  });

  it("gives a visible-ASCII value that decodes back, for every code point of the first planes", () => {
    for (let code = 0; code < 0x30000; code += code < 0x3000 ? 1 : 97) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const text = `x${String.fromCodePoint(code)}y`;
      const header = encodeHeaderText(text);
      expect(/^[\x21-\x7e]+$/.test(header) && NODE_FIELD_VALUE.test(header)).toBe(true);
      expect(decodeURIComponent(header)).toBe(text);
    }
  });

  it("keeps two different names apart (no two encode alike)", () => {
    expect(encodeHeaderText("a%20b")).not.toBe(encodeHeaderText("a b"));
    expect(encodeHeaderText("a%E2%80%8B")).not.toBe(encodeHeaderText("a\u200B"));
  });
});
