import type { PolicyConfig } from "../config/security-schema";
import { AccessPolicy, type TargetKind } from "./access-policy";

const policy = (config: Partial<PolicyConfig>, claimTools?: readonly string[]): AccessPolicy =>
  new AccessPolicy("p", { tools: [], prompts: [], resources: [], ...config }, claimTools);

describe("AccessPolicy defaults", () => {
  const none = policy({});

  it.each<[TargetKind, string]>([
    ["tool", "weather_get_forecast"],
    ["prompt", "weather_report"],
    ["resource", "weather+weather://cities"],
  ])("denies a %s no list names (default deny)", (kind, exposed) => {
    expect(none.allows(kind, exposed, "weather")).toBe(false);
  });

  it("lets a policy without `servers` reach every server", () => {
    expect(none.allowsServer("anything")).toBe(true);
  });

  it("lets `*` allow every name of its kind only", () => {
    const tools = policy({ tools: ["*"] });
    expect(tools.allows("tool", "anything at all", "weather")).toBe(true);
    expect(tools.allows("prompt", "weather_report", "weather")).toBe(false);
  });

  it("allows everything when open", () => {
    const open = AccessPolicy.open();
    expect([
      open.allows("tool", "x", "a"),
      open.allows("prompt", "y", "b"),
      open.allows("resource", "z://", "c"),
      open.allowsServer("d"),
    ]).toEqual([true, true, true, true]);
  });

  it("exposes its limits", () => {
    const limited = policy({
      rateLimit: { ratePerSecond: 5, burst: 10 },
      toolRateLimit: { ratePerSecond: 1, burst: 2 },
      maxBodyBytes: 1024,
    });
    expect([limited.rateLimit, limited.toolRateLimit, limited.maxBodyBytes]).toEqual([
      { ratePerSecond: 5, burst: 10 },
      { ratePerSecond: 1, burst: 2 },
      1024,
    ]);
  });
});

describe("AccessPolicy globs", () => {
  const weather = policy({ tools: ["weather_*", "notes_add_note"], prompts: ["*_report"] });

  it.each([
    ["weather_get_forecast", true],
    ["weather_", true],
    ["notes_add_note", true],
    ["notes_add_note2", false],
    ["notes_delete_note", false],
    ["xweather_get_forecast", false],
    ["weather", false],
  ])("tool %s allowed: %s", (exposed, allowed) => {
    expect(weather.allows("tool", exposed, "weather")).toBe(allowed);
  });

  it.each([
    ["weather_report", true],
    ["weather_report_v2", false],
  ])("prompt %s allowed: %s", (exposed, allowed) => {
    expect(weather.allows("prompt", exposed, "weather")).toBe(allowed);
  });

  it.each([
    ["a dot", "weather.get", "weatherXget"],
    ["a plus", "a+b", "aab"],
    ["a question mark", "get?", "get"],
    ["brackets", "[ab]", "a"],
    ["a caret and a dollar", "^x$", "x"],
    ["parentheses and a bar", "(a|b)", "a"],
    ["a backslash", "a\\d", "a1"],
  ])("treats %s as a literal character", (_label, glob, name) => {
    expect(policy({ tools: [glob] }).allows("tool", name, "s")).toBe(false);
    expect(policy({ tools: [glob] }).allows("tool", glob, "s")).toBe(true);
  });
});

describe("AccessPolicy against look-alike tool names", () => {
  const weather = policy({ tools: ["weather_*"] });

  it.each([
    ["upper case", "WEATHER_get_forecast"],
    ["a zero-width space", "weather\u200b_get_forecast"],
    ["a Cyrillic е", "w\u0435ather_get_forecast"],
    ["a percent-encoded underscore", "weather%5Fget_forecast"],
    ["a full-width underscore", "weather\uff3fget_forecast"],
    ["a leading space", " weather_get_forecast"],
    ["a leading newline", "\nweather_get_forecast"],
  ])("denies %s", (_label, exposed) => {
    expect(weather.allows("tool", exposed, "weather")).toBe(false);
  });

  it("matches exact names case-sensitively", () => {
    const exact = policy({ tools: ["weather_get_forecast"] });
    expect(exact.allows("tool", "Weather_get_forecast", "weather")).toBe(false);
  });
});

describe("AccessPolicy servers", () => {
  it("does not let `a_*` allow the tools of a server prefixed `ab_`", () => {
    expect(policy({ tools: ["a_*"] }).allows("tool", "ab_x", "ab")).toBe(false);
  });

  it("denies every tool of another server when narrowed to `a`, even with `tools: [*]`", () => {
    const onlyA = policy({ servers: ["a"], tools: ["*"] });
    expect([onlyA.allows("tool", "a_x", "a"), onlyA.allows("tool", "ab_x", "ab"), onlyA.allowsServer("ab")]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it.each<TargetKind>(["tool", "prompt", "resource"])("narrows %s access to the listed servers", (kind) => {
    const onlyA = policy({ servers: ["a"], tools: ["*"], prompts: ["*"], resources: ["*"] });
    expect(onlyA.allows(kind, "ab_x", "ab")).toBe(false);
  });

  it('denies a name whose server is unknown ("") when narrowed', () => {
    expect(policy({ servers: ["a"], tools: ["*"] }).allows("tool", "a_x", "")).toBe(false);
  });

  it("allows no server at all with `servers: []`", () => {
    const nowhere = policy({ servers: [], tools: ["*"] });
    expect([nowhere.allowsServer("a"), nowhere.allows("tool", "a_x", "a")]).toEqual([false, false]);
  });

  it("matches server names exactly", () => {
    const onlyA = policy({ servers: ["a"], tools: ["*"] });
    expect([onlyA.allowsServer("A"), onlyA.allowsServer("a "), onlyA.allowsServer("ab")]).toEqual([
      false,
      false,
      false,
    ]);
  });
});

describe("AccessPolicy with a JWT tools claim", () => {
  const weather = { tools: ["weather_*"], prompts: ["*"] };

  it.each([
    ["weather_get_forecast", true],
    ["weather_get_alerts", false],
  ])("allows %s only when both the policy and the claim do: %s", (exposed, allowed) => {
    expect(policy(weather, ["weather_get_forecast"]).allows("tool", exposed, "weather")).toBe(allowed);
  });

  it("does not let a claim widen the policy", () => {
    expect(policy(weather, ["*"]).allows("tool", "notes_add_note", "notes")).toBe(false);
  });

  it("allows no tool with an empty claim", () => {
    expect(policy(weather, []).allows("tool", "weather_get_forecast", "weather")).toBe(false);
  });

  it("leaves prompts and resources to the policy", () => {
    expect(policy(weather, []).allows("prompt", "weather_report", "weather")).toBe(true);
  });
});

describe("AccessPolicy resource URIs with dot segments or encoded separators", () => {
  const publicOnly = policy({ resources: ["fs+fs://public/*", "fs+fs://public/odd/../exact"] });

  it.each([
    "fs+fs://public/../secret/key",
    "fs+fs://public/./../secret/key",
    "fs+fs://public/%2e%2e/secret/key",
    "fs+fs://public/..%2Fsecret",
    "fs+fs://public/..\\secret",
    "fs+fs://public/.\t./secret/key",
    "fs+fs://public/\t../secret/key",
    "fs+fs://public/..\t/secret/key",
    "fs+fs://public/.\r\n./secret/key",
  ])("does not let the wildcard match %j", (uri) => {
    expect(publicOnly.allows("resource", uri, "fs")).toBe(false);
  });

  it("still allows such a URI when a pattern names it exactly", () => {
    expect(publicOnly.allows("resource", "fs+fs://public/odd/../exact", "fs")).toBe(true);
  });

  it("allows ordinary URIs under the wildcard", () => {
    expect(publicOnly.allows("resource", "fs+fs://public/docs/readme.md", "fs")).toBe(true);
  });
});
