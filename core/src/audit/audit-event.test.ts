import { AuditHasher, canonicalJson } from "./audit-event";

describe("canonicalJson", () => {
  it.each<[string, unknown, string]>([
    [
      "sorts keys recursively",
      { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } },
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    ],
    ["turns undefined into null", undefined, "null"],
    ["keeps array order", [3, 1, 2], "[3,1,2]"],
    ["drops undefined properties", { a: undefined, b: 1 }, '{"b":1}'],
    ["writes bigints as strings", { n: 10n }, '{"n":"10"}'],
  ])("%s", (_name, value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  // JSON.parse makes "__proto__" an own member, and the upstream receives it: the canonical form must keep it.
  it.each([
    ['{"path":"/tmp/a","__proto__":{"x":1}}', '{"__proto__":{"x":1},"path":"/tmp/a"}'],
    ['{"a":{"__proto__":[1,2],"b":{"__proto__":null}}}', '{"a":{"__proto__":[1,2],"b":{"__proto__":null}}}'],
    ['{"constructor":"c","toString":1}', '{"constructor":"c","toString":1}'],
  ])("keeps own __proto__ and other prototype-named members of %s", (text, expected) => {
    expect(canonicalJson(JSON.parse(text))).toBe(expected);
  });
});

describe("AuditHasher", () => {
  const hasher = new AuditHasher("audit-secret");

  it("digests arguments the same whatever the key order", () => {
    const a = hasher.args({ city: "Paris", options: { units: "metric", days: 3 } });
    const b = hasher.args({ options: { days: 3, units: "metric" }, city: "Paris" });
    expect(a).toBe(b);
    expect(a).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
  });

  it("gives arguments with an own __proto__ member (raw JSON) a digest of their own", () => {
    const plain = hasher.args(JSON.parse('{"path":"/tmp/a"}'));
    const withProto = hasher.args(JSON.parse('{"path":"/tmp/a","__proto__":{"path":"/etc/shadow"}}'));
    expect(withProto).not.toBe(plain);
    expect(hasher.args(JSON.parse('{"__proto__":{"path":"/etc/shadow"},"path":"/tmp/a"}'))).toBe(withProto);
  });

  it("gives different digests for different arguments", () => {
    expect(hasher.args({ confirm: true })).not.toBe(hasher.args({ confirm: false }));
  });

  it("gives different digests under different secrets", () => {
    const other = new AuditHasher("another-secret");
    expect(other.args({ confirm: true })).not.toBe(hasher.args({ confirm: true }));
    expect(other.session("s-1")).not.toBe(hasher.session("s-1"));
  });

  it("never contains the raw arguments", () => {
    const digest = hasher.args({ password: "hunter2", note: "top secret" });
    expect(digest).not.toContain("hunter2");
    expect(digest).not.toContain("secret");
  });

  it("digests absent arguments as null", () => {
    expect(hasher.args(undefined)).toBe(hasher.args(null));
  });

  it("hashes a session id to hs: and 16 hex digits, stably", () => {
    const id = "3f1c9a2e-6b7d-4e0f-9a1b-2c3d4e5f6a7b";
    expect(hasher.session(id)).toMatch(/^hs:[0-9a-f]{16}$/);
    expect(hasher.session(id)).toBe(new AuditHasher("audit-secret").session(id));
    expect(hasher.session(id)).not.toContain(id.slice(0, 8));
  });

  it("refuses an empty secret", () => {
    expect(() => new AuditHasher("")).toThrow(/secret/);
  });
});
