import { RedactionPatternError, type RedactionRule } from "./redaction-rule";
import { Redactor } from "./redactor";

const call = { server: "weather", method: "tools/call", target: "weather_forecast" };
const secretRule: RedactionRule = { keys: ["password"] };

describe("Redactor construction", () => {
  it.each(["(unclosed", "[z-a]", "\\p{NoSuchProperty}", "a{2,1}"])("rejects the invalid pattern %j, naming it", (p) => {
    expect(() => new Redactor([{ patterns: ["ok", p] }])).toThrow(`pattern ${JSON.stringify(p)} is not a valid`);
  });

  it.each(["a*", "x?", "(?:)", "^", "(foo|)"])("rejects %j, which matches the empty string", (p) => {
    expect(() => new Redactor([{ patterns: [p] }])).toThrow(`pattern ${JSON.stringify(p)} matches the empty string`);
  });

  it("throws a RedactionPatternError carrying the pattern", () => {
    let thrown: unknown;
    try {
      new Redactor([{ patterns: ["("] }]);
    } catch (error: unknown) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RedactionPatternError);
    expect((thrown as RedactionPatternError).pattern).toBe("(");
  });

  it("accepts a rule set with keys and valid patterns", () => {
    expect(
      () => new Redactor([{ keys: ["token"], patterns: ["AKIA[0-9A-Z]{16}", "\\bBearer\\s+\\S+"] }]),
    ).not.toThrow();
  });
});

describe("Redactor.forCall scoping", () => {
  it.each(["tools/call", "resources/read", "prompts/get"])("sanitizes %s", (method) => {
    expect(new Redactor([secretRule]).forCall({ ...call, method })).toBeDefined();
  });

  it.each(["resources/subscribe", "completion/complete", "response", "tools/list"])("leaves %s alone", (method) => {
    expect(new Redactor([secretRule]).forCall({ ...call, method })).toBeUndefined();
  });

  it.each([
    [["weather"], "weather", true],
    [["weather", "news"], "news", true],
    [["news"], "weather", false],
    [[], "weather", false],
  ])("servers %j apply to server %j: %s", (servers, server, applies) => {
    const redactor = new Redactor([{ ...secretRule, servers }]).forCall({ ...call, server });
    expect(redactor !== undefined).toBe(applies);
  });

  it.each([
    ["weather_*", "weather_forecast", true],
    ["weather_forecast", "weather_forecast", true],
    ["weather_*", "news_top", false],
    ["*_secret", "db_secret", true],
    ["*_secret", "db_secret_not", false],
    ["weather+file:///etc/*", "weather+file:///etc/passwd", true],
    ["a.b", "axb", false],
    ["weather", "weather_forecast", false],
    // A line break in an upstream's tool name or a URI must not take a call out of a rule's scope.
    ["weather_*", "weather_a\nb", true],
    ["weather_*", "weather_a\r\nb", true],
    ["weather_*", "weather_a\u2028b", true],
    ["weather+file:///etc/*", "weather+file:///etc/\npasswd", true],
  ])("target glob %j applies to %j: %s", (glob, target, applies) => {
    const redactor = new Redactor([{ ...secretRule, targets: [glob] }]).forCall({ ...call, target });
    expect(redactor !== undefined).toBe(applies);
  });

  it("applies a rule only when both its servers and its targets match", () => {
    const redactor = new Redactor([{ ...secretRule, servers: ["news"], targets: ["weather_*"] }]);
    expect(redactor.forCall(call)).toBeUndefined();
  });

  it("applies a rule whose targets match the resource URI's normalized form, not the form sent", () => {
    const rule = { ...secretRule, targets: ["files+fs://host/private/*"] };
    const read = { server: "files", method: "resources/read", target: "files+FS://host/private/key" };
    expect(new Redactor([rule]).forCall(read)).toBeUndefined();
    expect(new Redactor([rule]).forCall({ ...read, normalizedTarget: "files+fs://host/private/key" })).toBeDefined();
  });

  it("ignores a rule with neither keys nor patterns (nothing to redact)", () => {
    expect(new Redactor([{ servers: ["weather"] }]).forCall(call)).toBeUndefined();
  });

  it("returns undefined when there are no rules", () => {
    expect(new Redactor([]).forCall(call)).toBeUndefined();
  });

  it("builds one redactor per combination of applying rules and reuses it", () => {
    const redactor = new Redactor([secretRule, { patterns: ["x+"], servers: ["news"] }]);
    expect(redactor.forCall(call)).toBe(redactor.forCall({ ...call, target: "weather_other" }));
    expect(redactor.forCall(call)).not.toBe(redactor.forCall({ ...call, server: "news" }));
  });

  it("combines the keys and patterns of every applying rule", () => {
    const redactor = new Redactor([secretRule, { patterns: ["AKIA[0-9A-Z]{16}"], servers: ["weather"] }]);
    const result = { password: "hunter2", note: "AKIAABCDEFGHIJKLMNOP" };
    expect(redactor.forCall(call)?.redact(result)).toEqual({ password: "[REDACTED]", note: "[REDACTED]" });
  });

  it("uses the configured replacement", () => {
    expect(new Redactor([secretRule], "***").forCall(call)?.redact({ password: "x" })).toEqual({ password: "***" });
  });
});

describe("Redactor.forAnyCall", () => {
  it("combines every rule whatever its servers and targets", () => {
    const redactor = new Redactor([
      { keys: ["password"], servers: ["weather"], targets: ["weather_*"] },
      { patterns: ["AKIA[0-9A-Z]{16}"], servers: ["notes"] },
      { targets: ["nothing_*"] },
    ]);
    const value = { password: "hunter2", note: "AKIAABCDEFGHIJKLMNOP" };
    expect(redactor.forAnyCall()?.redact(value)).toEqual({ password: "[REDACTED]", note: "[REDACTED]" });
    expect(redactor.forAnyCall()).toBe(redactor.forAnyCall());
  });

  it("returns undefined when no rule replaces anything", () => {
    expect(new Redactor([{ servers: ["weather"] }]).forAnyCall()).toBeUndefined();
  });
});
