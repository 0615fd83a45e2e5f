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
});
