import { randomBytes } from "node:crypto";
import { decodeCanonicalBase64url } from "./base64url";

describe("decodeCanonicalBase64url", () => {
  it.each([0, 1, 2, 3, 16, 32])("decodes the encoding of %i random bytes", (size) => {
    const bytes = randomBytes(size);
    expect(decodeCanonicalBase64url(bytes.toString("base64url"))?.equals(bytes)).toBe(true);
  });

  // Each of these decodes to the same bytes with Buffer.from(text, "base64url").
  it.each([
    ["padding", (t: string) => `${t}==`],
    ["a trailing '*'", (t: string) => `${t}*`],
    ["a space", (t: string) => ` ${t}`],
    ["standard-alphabet '+' and '/'", (t: string) => t.replaceAll("-", "+").replaceAll("_", "/")],
  ])("refuses %s", (_what, vary) => {
    const text = "-_8AAQ-_8AAQ-_8AAQ-_8A";
    expect(decodeCanonicalBase64url(text)).toBeDefined();
    expect(decodeCanonicalBase64url(vary(text))).toBeUndefined();
  });

  it("refuses every change of the unused low bits of the last character", () => {
    const bytes = Buffer.from("sixteen bytes!!!");
    const text = bytes.toString("base64url");
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const sameBytes = [...alphabet]
      .map((last) => text.slice(0, -1) + last)
      .filter((variant) => Buffer.from(variant, "base64url").equals(bytes));
    expect(sameBytes).toHaveLength(16); // 16 bytes in 22 characters leave 4 unused bits
    expect(sameBytes.filter((variant) => decodeCanonicalBase64url(variant) !== undefined)).toEqual([text]);
  });

  it("refuses a length no encoding has (4n + 1)", () => {
    expect(decodeCanonicalBase64url("AAAAA")).toBeUndefined();
  });
});
