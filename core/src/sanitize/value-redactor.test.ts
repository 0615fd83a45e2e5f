import { compilePattern } from "./redaction-rule";
import { MAX_REDACTION_DEPTH, ValueRedactor } from "./value-redactor";

const AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
const BEARER = "Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc-DEF_123";

function redactor(keys: string[], patterns: string[] = [], replacement = "[REDACTED]"): ValueRedactor {
  return new ValueRedactor({ keys, patterns: patterns.map(compilePattern), replacement });
}

const text = (value: string): Record<string, unknown> => ({ content: [{ type: "text", text: value }] });

describe("keys", () => {
  const keys = redactor(["password", "api_key"]);

  it.each([
    ["at the top", { password: "p" }, { password: "[REDACTED]" }],
    ["in any case", { PassWord: "p", API_KEY: "k" }, { PassWord: "[REDACTED]", API_KEY: "[REDACTED]" }],
    ["nested in objects", { a: { b: { password: "p" } } }, { a: { b: { password: "[REDACTED]" } } }],
    ["inside arrays", { list: [{ x: 1 }, [{ api_key: "k" }]] }, { list: [{ x: 1 }, [{ api_key: "[REDACTED]" }]] }],
    [
      "in structuredContent",
      { structuredContent: { db: { password: "p" } } },
      {
        structuredContent: { db: { password: "[REDACTED]" } },
      },
    ],
  ])("replaces a matching key's value %s", (_where, result, expected) => {
    expect(keys.redact(result)).toEqual(expected);
  });

  it.each([{ a: 1 }, 42, null, true, ["x", "y"]])("replaces a value of any type (%j) by the replacement", (value) => {
    expect(keys.redact({ password: value })).toEqual({ password: "[REDACTED]" });
  });

  it.each(["my_password", "password_hint", "passwords", "apikey"])("leaves the key %j (not an exact name)", (key) => {
    const result = { [key]: "visible" };
    expect(keys.redact(result)).toBe(result);
  });
});

describe("patterns", () => {
  const patterns = redactor([], ["AKIA[0-9A-Z]{16}", "Bearer\\s+[A-Za-z0-9._~+/-]+=*"]);

  it.each([
    ["an AWS key in text content", text(`key ${AWS_KEY} end`), text("key [REDACTED] end")],
    ["a bearer token in text content", text(`Authorization: ${BEARER}`), text("Authorization: [REDACTED]")],
    ["every match in one string", text(`${AWS_KEY}/${AWS_KEY}`), text("[REDACTED]/[REDACTED]")],
    [
      "a match in a prompt message",
      { messages: [{ content: { type: "text", text: AWS_KEY } }] },
      {
        messages: [{ content: { type: "text", text: "[REDACTED]" } }],
      },
    ],
    [
      "a match in resource contents text",
      { contents: [{ uri: "a://b", text: AWS_KEY }] },
      {
        contents: [{ uri: "a://b", text: "[REDACTED]" }],
      },
    ],
  ])("replaces %s", (_what, result, expected) => {
    expect(patterns.redact(result)).toEqual(expected);
  });

  it("takes the replacement literally (no $& expansion)", () => {
    expect(redactor([], ["secret"], "<$&>").redact({ a: "my secret" })).toEqual({ a: "my <$&>" });
  });

  it.each([
    ["a resource's base64 blob", { contents: [{ uri: "a://b", blob: AWS_KEY }] }],
    ["an image block's data", { content: [{ type: "image", data: AWS_KEY, mimeType: "image/png" }] }],
    ["an audio block's data", { content: [{ type: "audio", data: AWS_KEY, mimeType: "audio/wav" }] }],
  ])("does not scan %s (binary, left as it is)", (_what, result) => {
    expect(patterns.redact(result)).toBe(result);
  });

  it("scans a blob that is not a resource's (no uri beside it)", () => {
    expect(patterns.redact({ blob: AWS_KEY })).toEqual({ blob: "[REDACTED]" });
  });
});

describe("key forms in plain text", () => {
  const keys = redactor(["password", "api_key", "token", "authorization"]);

  it.each([
    ["password=hunter2", "password=[REDACTED]"],
    ["Password: hunter2 and more", "Password: [REDACTED] and more"],
    ['{"password": "hun\\"ter2", broken', '{"password": "[REDACTED]", broken'],
    ["api_key='abc def'", "api_key='[REDACTED]'"],
    ["GET /x?token=abc&user=bob", "GET /x?token=[REDACTED]&user=bob"],
    ["authorization: Bearer abc.def next", "authorization: [REDACTED] next"],
    ["line one\nPASSWORD = s3cret\nline three", "line one\nPASSWORD = [REDACTED]\nline three"],
    ["my_password=keep", "my_password=keep"],
    ["password_hint: keep", "password_hint: keep"],
    ["password is not given", "password is not given"],
  ])("%j becomes %j", (input, expected) => {
    expect(keys.redact(text(input))).toEqual(text(expected));
  });
});

describe("JSON inside strings", () => {
  const both = redactor(["password"], ["AKIA[0-9A-Z]{16}"]);

  it("redacts compact JSON structurally and keeps it compact", () => {
    const inner = JSON.stringify({ user: "bob", password: "p", key: AWS_KEY });
    const out = both.redact(text(inner));
    expect(out).toEqual(text(JSON.stringify({ user: "bob", password: "[REDACTED]", key: "[REDACTED]" })));
  });

  it("keeps the indentation of pretty-printed JSON", () => {
    const inner = JSON.stringify({ db: { password: "p" } }, null, 4);
    expect(both.redact(text(inner))).toEqual(text(JSON.stringify({ db: { password: "[REDACTED]" } }, null, 4)));
  });

  it("redacts a JSON array with leading whitespace", () => {
    const inner = `  ${JSON.stringify([{ password: "p" }])}`;
    expect(both.redact(text(inner))).toEqual(text(JSON.stringify([{ password: "[REDACTED]" }])));
  });

  it("redacts JSON inside JSON inside a string", () => {
    const inner = JSON.stringify({ payload: JSON.stringify({ password: "p" }) });
    const expected = JSON.stringify({ payload: JSON.stringify({ password: "[REDACTED]" }) });
    expect(both.redact(text(inner))).toEqual(text(expected));
  });

  it("keeps clean JSON text byte-for-byte (not re-serialized)", () => {
    const result = text('{ "user" : "bob",  "n": 1.50 }');
    expect(both.redact(result)).toBe(result);
  });

  it("treats text that only looks like JSON as plain text", () => {
    expect(both.redact(text(`{not json ${AWS_KEY}`))).toEqual(text("{not json [REDACTED]"));
  });
});

describe("member names", () => {
  const names = redactor(["password"], ["AKIA[0-9A-Z]{16}"]);
  const OTHER_KEY = "AKIAAAAAAAAAAAAAAAAA";

  it("redacts a pattern match used as a member name, keeping the member and its place", () => {
    const result = { structuredContent: { note: { [AWS_KEY]: [], after: 1 }, tail: true } };
    const out = names.redact(result);
    expect(JSON.stringify(out)).toBe('{"structuredContent":{"note":{"[REDACTED]":[],"after":1},"tail":true}}');
  });

  it("redacts part of a name and key=value forms in a name", () => {
    const out = names.redact({ [`id-${AWS_KEY}`]: 1, "password=hunter2": 2 });
    expect(out).toEqual({ "id-[REDACTED]": 1, "password=[REDACTED]": 2 });
  });

  it("redacts the value under a secret key whose name is also renamed", () => {
    const withKey = redactor(["password"], ["pass"]);
    expect(withKey.redact({ password: "p" })).toEqual({ "[REDACTED]word": "[REDACTED]" });
  });

  it("redacts names inside JSON inside text", () => {
    const out = names.redact(text(JSON.stringify({ [AWS_KEY]: "x" })));
    expect(out).toEqual(text('{"[REDACTED]":"x"}'));
  });

  it("keeps every member when two names redact to the same text: later ones get #2, #3 in member order", () => {
    const result = { a: 0, [AWS_KEY]: 1, [OTHER_KEY]: 2, [`${AWS_KEY}`.toLowerCase()]: 3, z: { [OTHER_KEY]: 4 } };
    const out = names.redact(result);
    expect(JSON.stringify(out)).toBe(
      '{"a":0,"[REDACTED]":1,"[REDACTED]#2":2,"akiaiosfodnn7example":3,"z":{"[REDACTED]":4}}',
    );
  });

  it("leaves a member already named like the redacted form (or its suffix) as it is and renames around it", () => {
    const result = { [AWS_KEY]: 1, "[REDACTED]": 2, "[REDACTED]#2": 3, [OTHER_KEY]: 4 };
    const out = names.redact(result);
    expect(out).toEqual({ "[REDACTED]#3": 1, "[REDACTED]": 2, "[REDACTED]#2": 3, "[REDACTED]#4": 4 });
    expect(Object.keys(out)).toEqual(["[REDACTED]#3", "[REDACTED]", "[REDACTED]#2", "[REDACTED]#4"]);
  });

  it("returns the very same object when no name or value matched", () => {
    const result = { structuredContent: { AKIA: { akia_short: [] } } };
    expect(names.redact(result)).toBe(result);
  });

  it("keeps an own __proto__ member as data when a renamed member forces a rebuild", () => {
    const result = JSON.parse(`{"__proto__": {"a": 1}, "${AWS_KEY}": 2}`) as Record<string, unknown>;
    const out = names.redact(result);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"a":1},"[REDACTED]":2}');
  });

  it("can name a renamed member __proto__ (a replacement of that text) without changing the prototype", () => {
    const out = redactor([], ["AKIA[0-9A-Z]{16}"], "__proto__").redact({ [AWS_KEY]: { a: 1 } });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"a":1}}');
  });
});

describe("allocation and edge cases", () => {
  const keys = redactor(["password"], ["AKIA[0-9A-Z]{16}"]);

  it("returns the very same object when nothing matched", () => {
    const result = { content: [{ type: "text", text: "fine" }], structuredContent: { a: [1, { b: "c" }] } };
    expect(keys.redact(result)).toBe(result);
  });

  it("shares the untouched branches of a changed result", () => {
    const clean = { a: [1, 2] };
    const result = { clean, dirty: { password: "p" } };
    expect(keys.redact(result)["clean"]).toBe(clean);
  });

  it("does not modify the input", () => {
    const result = { dirty: { password: "p" } };
    keys.redact(result);
    expect(result).toEqual({ dirty: { password: "p" } });
  });

  it("keeps an own __proto__ key as data (no prototype change)", () => {
    const result = JSON.parse('{"__proto__": {"password": "p"}}') as Record<string, unknown>;
    const out = keys.redact(result);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"password":"[REDACTED]"}}');
  });

  it(`refuses results nested deeper than ${MAX_REDACTION_DEPTH} levels`, () => {
    let deep: Record<string, unknown> = { password: "p" };
    for (let i = 0; i <= MAX_REDACTION_DEPTH; i++) deep = { deep };
    expect(() => keys.redact(deep)).toThrow(`nested deeper than ${MAX_REDACTION_DEPTH} levels`);
  });
});
