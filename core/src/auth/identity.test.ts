import { createHmac, hkdfSync } from "node:crypto";
import { IDENTITY_HEADER, IdentityCodec, type Identity } from "./identity";

const SECRET = "router-and-broker-share-this-secret-0123456789";
const T0 = 1_700_000_000_000;

/** Signs any payload the way the codec does (the documented format), to build validly tagged but bad values. */
function forgeRaw(json: string, secret = SECRET, version = "i1"): string {
  const key = Buffer.from(hkdfSync("sha256", secret, "mcp-gateway", "identity-header v1", 32));
  const signed = `${version}.${Buffer.from(json).toString("base64url")}`;
  return `${signed}.${createHmac("sha256", key).update(signed).digest("base64url")}`;
}

function forge(payload: unknown, secret = SECRET, version = "i1"): string {
  return forgeRaw(JSON.stringify(payload), secret, version);
}

function codecAt(time: { now: number }, secret = SECRET): IdentityCodec {
  return new IdentityCodec(secret, 60_000, () => time.now);
}

const alice: Identity = { consumer: "alice", policy: "default", tools: ["weather_get"], method: "jwt" };
const exp = Math.ceil((T0 + 60_000) / 1000);

describe("IdentityCodec round trip", () => {
  const codec = codecAt({ now: T0 });

  it("names the header", () => {
    expect(IDENTITY_HEADER).toBe("x-mcp-identity");
  });

  it("verifies what it signed", () => {
    expect(codec.verify(codec.sign(alice))).toEqual(alice);
  });

  it("keeps an identity without tools without tools", () => {
    const anonymous: Identity = { consumer: "anonymous", policy: "public", method: "anonymous" };
    const verified = codec.verify(codec.sign(anonymous));
    expect(verified).toEqual(anonymous);
    expect(verified && "tools" in verified).toBe(false);
  });

  it("keeps an empty tools list (grants nothing) distinct from no list", () => {
    expect(codec.verify(codec.sign({ ...alice, tools: [] }))?.tools).toEqual([]);
  });

  it("writes the documented format", () => {
    expect(codec.sign(alice)).toBe(
      forge({ consumer: "alice", policy: "default", tools: ["weather_get"], method: "jwt", exp }),
    );
  });

  it("is verified by another codec with the same secret (the broker)", () => {
    expect(codecAt({ now: T0 + 1000 }).verify(codec.sign(alice))).toEqual(alice);
  });
});

describe("IdentityCodec refuses", () => {
  const time = { now: T0 };
  const codec = codecAt(time);
  afterEach(() => (time.now = T0));

  it("a payload changed after signing", () => {
    const [version, , tag] = codec.sign(alice).split(".");
    const body = Buffer.from(JSON.stringify({ ...alice, policy: "admin", exp })).toString("base64url");
    expect(codec.verify(`${version}.${body}.${tag}`)).toBeUndefined();
  });

  it("a tag changed in one character", () => {
    const value = codec.sign(alice);
    const flipped = value.slice(0, -2) + (value.at(-2) === "A" ? "B" : "A") + value.slice(-1);
    expect(codec.verify(flipped)).toBeUndefined();
  });

  it("a non-canonical encoding of the right tag", () => {
    const value = codec.sign(alice);
    const tag = value.split(".")[2] ?? "";
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    // The last of 43 base64url characters carries 2 unused bits: this variant decodes to the same 32 bytes.
    const variant = tag.slice(0, -1) + (alphabet[alphabet.indexOf(tag.at(-1) ?? "") ^ 1] ?? "");
    expect(Buffer.from(variant, "base64url").equals(Buffer.from(tag, "base64url"))).toBe(true);
    expect(codec.verify(value.slice(0, -tag.length) + variant)).toBeUndefined();
  });

  it("a value signed with another secret", () => {
    const other = codecAt({ now: T0 }, "another-secret-of-sufficient-length-9876543210");
    expect(codec.verify(other.sign(alice))).toBeUndefined();
  });

  it("a value past its expiry", () => {
    const value = codec.sign(alice);
    time.now = exp * 1000;
    expect(codec.verify(value)).toBeUndefined();
  });

  it("accepts it just before expiry", () => {
    const value = codec.sign(alice);
    time.now = exp * 1000 - 1;
    expect(codec.verify(value)).toEqual(alice);
  });

  it.each([
    ["empty", ""],
    ["garbage", "not an identity"],
    ["only the version", "i1"],
    ["empty segments", "i1.."],
    ["four segments", `${forge({ ...alice, exp })}.x`],
    ["another version", forge({ ...alice, exp }, SECRET, "i2")],
    ["characters outside base64url", forge({ ...alice, exp }).replace(".", ".+")],
    ["base64 padding", `${forge({ ...alice, exp })}=`],
    ["an overlong value", `i1.${"a".repeat(70_000)}.${"b".repeat(43)}`],
  ])("a malformed value: %s", (_name, value) => {
    expect(codec.verify(value)).toBeUndefined();
  });

  it.each([
    ["not JSON", "{consumer"],
    ["an array", [alice]],
    ["null", null],
    ["an unknown field", { ...alice, exp, admin: true }],
    ["no consumer", { policy: "default", method: "jwt", exp }],
    ["an empty consumer", { ...alice, consumer: "", exp }],
    ["a numeric policy", { ...alice, policy: 1, exp }],
    ["an unknown method", { ...alice, method: "root", exp }],
    ["tools as a string", { ...alice, tools: "weather_get", exp }],
    ["tools with a number", { ...alice, tools: ["weather_get", 1], exp }],
    ["no exp", { ...alice }],
    ["exp as a string", { ...alice, exp: String(exp) }],
    ["a fractional exp", { ...alice, exp: exp + 0.5 }],
  ])("a validly tagged payload with %s", (_name, payload) => {
    const value = typeof payload === "string" ? forgeRaw(payload) : forge(payload);
    expect(codec.verify(value)).toBeUndefined();
  });
});

describe("IdentityCodec construction and signing", () => {
  it.each([["short"], [""], ["x".repeat(31)]])("refuses a secret shorter than 32 bytes (%j)", (secret) => {
    expect(() => new IdentityCodec(secret)).toThrow(/at least 32 bytes/);
  });

  it("refuses a non-positive TTL", () => {
    expect(() => new IdentityCodec(SECRET, 0)).toThrow(/ttlMs/);
  });

  it.each([
    ["an empty consumer", { ...alice, consumer: "" }],
    ["an empty policy", { ...alice, policy: "" }],
    ["an unknown method", { ...alice, method: "root" as Identity["method"] }],
    ["tools that are not strings", { ...alice, tools: [1] as unknown as string[] }],
  ])("refuses to sign an identity with %s", (_name, identity) => {
    expect(() => new IdentityCodec(SECRET).sign(identity)).toThrow(TypeError);
  });

  it("rounds a sub-second TTL up, so a value is never born expired", () => {
    const time = { now: T0 + 999 };
    const codec = new IdentityCodec(SECRET, 1, () => time.now);
    expect(codec.verify(codec.sign(alice))).toEqual(alice);
  });
});
