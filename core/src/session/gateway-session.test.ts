import { GatewaySessionCodec } from "./gateway-session";

const SECRET = "a-test-secret-that-is-long-enough-000";

describe("GatewaySessionCodec", () => {
  it("verifies the ids it issues", () => {
    const codec = new GatewaySessionCodec(SECRET, 60_000);
    const id = codec.issue();
    expect(id).toMatch(/^g1\.[0-9a-z]+\.[\w-]+\.[\w-]+$/);
    expect(codec.verify(id)).toMatchObject({ ok: true });
  });

  it("issues a different id every time", () => {
    const codec = new GatewaySessionCodec(SECRET, 60_000);
    expect(codec.issue()).not.toBe(codec.issue());
  });

  it("rejects an id signed with another secret", () => {
    const id = new GatewaySessionCodec("another-secret-that-is-long-enough-00", 60_000).issue();
    expect(new GatewaySessionCodec(SECRET, 60_000).verify(id)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects a tampered expiry", () => {
    const codec = new GatewaySessionCodec(SECRET, 60_000);
    const [version, , random, tag] = codec.issue().split(".");
    const forged = [version, Math.floor(Date.now() / 1000 + 1e9).toString(36), random, tag].join(".");
    expect(codec.verify(forged)).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("rejects an expired id", () => {
    let now = 1_000_000;
    const codec = new GatewaySessionCodec(SECRET, 10_000, () => now);
    const id = codec.issue();
    now += 11_000;
    expect(codec.verify(id)).toEqual({ ok: false, reason: "expired" });
  });

  it.each(["", "abc", "g1.x.y", "g2.a.b.c", "g1.a.b.c.d", "g1.zz.rand.!!!"])("rejects malformed id %j", (id) => {
    expect(new GatewaySessionCodec(SECRET, 60_000).verify(id).ok).toBe(false);
  });

  describe("accepts only the canonical spelling of an id", () => {
    const codec = new GatewaySessionCodec(SECRET, 60_000);
    const tagOf = (value: string): string => value.slice(value.lastIndexOf(".") + 1);
    let id = codec.issue("alice");
    // A tag with '-' or '_' in it, so that its standard-alphabet spelling differs.
    while (!/[-_]/.test(tagOf(id))) id = codec.issue("alice");
    const tag = tagOf(id);
    const head = id.slice(0, id.length - tag.length);
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // 16 tag bytes in 22 characters: the last one has 4 unused bits, so 15 other characters decode to the same tag.
    const lowBits = [...alphabet]
      .map((last) => head + tag.slice(0, -1) + last)
      .filter(
        (variant) =>
          variant !== id && Buffer.from(variant.slice(head.length), "base64url").equals(Buffer.from(tag, "base64url")),
      );

    it("has 15 low-bit variants to try", () => {
      expect(lowBits).toHaveLength(15);
    });

    it.each([
      ["'=' appended", `${id}=`],
      ["'==' appended", `${id}==`],
      ["'*' appended", `${id}*`],
      ["a space appended", `${id} `],
      ["a standard-alphabet tag", head + tag.replaceAll("-", "+").replaceAll("_", "/")],
      ...lowBits.map((variant, index): [string, string] => [`low-bit variant ${index + 1}`, variant]),
    ])("refuses the id with %s", (_what, variant) => {
      expect(variant).not.toBe(id);
      expect(codec.verify(variant, "alice")).toEqual({ ok: false, reason: "malformed" });
    });

    it("still verifies the id itself", () => {
      expect(codec.verify(id, "alice")).toMatchObject({ ok: true });
    });
  });
});
