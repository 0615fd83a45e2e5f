import { RequestStateCodec, type RequestStateClaims } from "./request-state";

const SECRET = "a-request-state-secret-of-at-least-32-characters";
const CLAIMS: Omit<RequestStateClaims, "expiresAtMs"> = {
  consumer: "alice",
  server: "weather",
  held: "h1",
  method: "tools/call",
  target: "weather_forecast",
  params: "p1",
  round: 1,
};
const BINDING = {
  consumer: "alice",
  server: "weather",
  method: "tools/call",
  target: "weather_forecast",
  params: "p1",
};

describe("RequestStateCodec", () => {
  const now = { value: 1_000_000 };
  const codec = new RequestStateCodec(SECRET, () => now.value);
  beforeEach(() => (now.value = 1_000_000));

  it("opens what it sealed, with the expiry it set", () => {
    const opened = codec.open(codec.seal(CLAIMS, 60_000), BINDING);
    expect(opened).toEqual({ ok: true, claims: { ...CLAIMS, expiresAtMs: 1_060_000 } });
  });

  it("hides the claims from the client (encrypted, not just signed)", () => {
    const token = codec.seal({ ...CLAIMS, consumer: "visible-consumer-name" }, 60_000);
    const bytes = Buffer.from(token.slice(4), "base64url").toString("latin1");
    expect(bytes).not.toContain("visible-consumer-name");
    expect(bytes).not.toContain("weather");
  });

  it("seals the same claims differently each time (random IV)", () => {
    expect(codec.seal(CLAIMS, 60_000)).not.toBe(codec.seal(CLAIMS, 60_000));
  });

  it.each([
    ["the conformance suite's tampering", (t: string) => `${t}-TAMPERED`, "malformed"],
    ["a missing version prefix", (t: string) => t.slice(4), "malformed"],
    ["padding", (t: string) => `${t}=`, "malformed"],
    [
      "a truncated tag",
      (t: string) => `rs1.${Buffer.from(t.slice(4), "base64url").subarray(0, -1).toString("base64url")}`,
      "tampered",
    ],
    ["a non-canonical spelling", (t: string) => `${t.slice(0, -1)}${t.endsWith("A") ? "B" : "A"}`, "tampered"],
    ["an oversized token", (t: string) => t + "A".repeat(9_000), "malformed"],
    ["an empty token", () => "", "malformed"],
  ])("refuses %s", (_what, edit, reason) => {
    const opened = codec.open(edit(codec.seal(CLAIMS, 60_000)), BINDING);
    expect(opened).toEqual({ ok: false, reason });
  });

  it("refuses a state at and after its expiry", () => {
    const token = codec.seal(CLAIMS, 60_000);
    now.value += 60_000;
    expect(codec.open(token, BINDING)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses another consumer's state", () => {
    expect(codec.open(codec.seal(CLAIMS, 60_000), { ...BINDING, consumer: "mallory" })).toEqual({
      ok: false,
      reason: "other-consumer",
    });
  });

  it.each(["server", "method", "target", "params"] as const)("refuses a state presented with another %s", (field) => {
    expect(codec.open(codec.seal(CLAIMS, 60_000), { ...BINDING, [field]: "other" })).toEqual({
      ok: false,
      reason: "other-request",
    });
  });

  it("refuses a state sealed with another secret", () => {
    const other = new RequestStateCodec("another-secret-of-at-least-32-characters-long", () => now.value);
    expect(codec.open(other.seal(CLAIMS, 60_000), BINDING)).toEqual({ ok: false, reason: "tampered" });
  });
});

describe("RequestStateCodec: the holding replica", () => {
  const now = { value: 1_000_000 };
  const codec = new RequestStateCodec(SECRET, () => now.value);
  beforeEach(() => (now.value = 1_000_000));

  it("seals the replica with the claims and names it to holder() without a binding", () => {
    const token = codec.seal({ ...CLAIMS, replica: "r-0123456789abcd" }, 60_000);
    expect(codec.holder(token)).toBe("r-0123456789abcd");
    expect(codec.open(token, BINDING)).toEqual({
      ok: true,
      claims: { ...CLAIMS, replica: "r-0123456789abcd", expiresAtMs: 1_060_000 },
    });
    expect(Buffer.from(token.slice(4), "base64url").toString("latin1")).not.toContain("r-0123456789abcd");
  });

  it("names no holder for a state sealed without one, an expired, a tampered or a foreign state", () => {
    expect(codec.holder(codec.seal(CLAIMS, 60_000))).toBeUndefined();
    const token = codec.seal({ ...CLAIMS, replica: "r-0123456789abcd" }, 60_000);
    const bytes = Buffer.from(token.slice(4), "base64url");
    bytes[20] = (bytes[20] ?? 0) ^ 1;
    expect(codec.holder(`rs1.${bytes.toString("base64url")}`)).toBeUndefined();
    expect(new RequestStateCodec(`${SECRET}-other`, () => now.value).holder(token)).toBeUndefined();
    expect(codec.holder("rs1.not-a-state")).toBeUndefined();
    now.value = 1_060_000;
    expect(codec.holder(token)).toBeUndefined();
  });
});
