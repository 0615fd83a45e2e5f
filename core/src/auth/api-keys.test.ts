import { createHash } from "node:crypto";
import { API_KEY_PREFIX, generateApiKey, hashApiKey, isApiKeyHash, sameKeyHash } from "./api-keys";

describe("generateApiKey", () => {
  it("starts with the prefix and carries 32 random bytes in base64url", () => {
    const key = generateApiKey();
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    const body = key.slice(API_KEY_PREFIX.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(body, "base64url")).toHaveLength(32);
  });

  it("never repeats", () => {
    const keys = new Set(Array.from({ length: 1000 }, generateApiKey));
    expect(keys.size).toBe(1000);
  });
});

describe("hashApiKey", () => {
  it("is sha256:<hex> of the key's UTF-8 bytes", () => {
    const expected = createHash("sha256").update("mcpgw_é", "utf8").digest("hex");
    expect(hashApiKey("mcpgw_é")).toBe(`sha256:${expected}`);
  });

  it("is deterministic and differs per key", () => {
    expect(hashApiKey("a")).toBe(hashApiKey("a"));
    expect(hashApiKey("a")).not.toBe(hashApiKey("b"));
  });

  it("does not contain the key", () => {
    const key = generateApiKey();
    expect(hashApiKey(key)).not.toContain(key.slice(API_KEY_PREFIX.length));
  });
});

describe("isApiKeyHash", () => {
  it.each([
    [hashApiKey("x"), true],
    [`sha256:${"0".repeat(64)}`, true],
    [`sha256:${"A".repeat(64)}`, false],
    [`sha256:${"0".repeat(63)}`, false],
    [`sha256:${"0".repeat(65)}`, false],
    [`sha512:${"0".repeat(64)}`, false],
    ["0".repeat(64), false],
    [`${hashApiKey("x")}\n`, false],
    ["mcpgw_abc", false],
  ])("%j is %p", (value, expected) => {
    expect(isApiKeyHash(value)).toBe(expected);
  });
});

describe("sameKeyHash", () => {
  it("is true for equal hashes", () => {
    expect(sameKeyHash(hashApiKey("k"), hashApiKey("k"))).toBe(true);
  });

  it("is false for different hashes", () => {
    expect(sameKeyHash(hashApiKey("k"), hashApiKey("l"))).toBe(false);
  });

  it("is false (not a throw) for different lengths", () => {
    expect(sameKeyHash(hashApiKey("k"), hashApiKey("k").slice(0, -1))).toBe(false);
    expect(sameKeyHash("", hashApiKey("k"))).toBe(false);
  });
});
