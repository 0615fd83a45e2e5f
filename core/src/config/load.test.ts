import { ConfigError, formatPath, parseConfig } from "./load";

const VALID = `
version: 1
auth: none
servers:
  - name: weather
    url: http://127.0.0.1:9101/mcp
  - name: notes
    url: http://127.0.0.1:9102/mcp
    prefix: ""
    headers: { authorization: "Bearer \${env:NOTES_TOKEN}" }
    tools: { exclude: [disable_search] }
sessions:
  secret: "0123456789abcdef0123456789abcdef"
  ttl: 1h
`;

function issuesOf(text: string, env: Record<string, string> = {}): readonly string[] {
  try {
    parseConfig(text, env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("applies defaults and interpolates environment variables", () => {
    const config = parseConfig(VALID, { NOTES_TOKEN: "s3cret" });
    expect(config.servers[0]).toMatchObject({ name: "weather", prefix: "weather_", headers: {} });
    expect(config.servers[1]).toMatchObject({ prefix: "", headers: { authorization: "Bearer s3cret" } });
    expect(config.sessions).toMatchObject({ ttl: 3_600_000, store: "memory", backendInitTimeout: 4_000 });
    expect(config.limits.maxBodyBytes).toBe(1_048_576);
    expect(config.router.listen).toBe("127.0.0.1:9000");
  });

  it.each([
    ["a CR LF and a second header", "Bearer s3cret\r\nx-injected: 1"],
    ["a NUL", "Bearer s3cret\u0000"],
    ["a trailing blank", "Bearer s3cret "],
    ["a DEL", "Bearer s3cr\u007fet"],
  ])("refuses an upstream header value with %s, naming where but not the value", (_what, token) => {
    const issues = issuesOf(VALID, { NOTES_TOKEN: token });
    expect(issues).toEqual([
      "servers[1].headers.authorization: expected an HTTP header value: no control characters (CR, LF, NUL, …) and no blanks at either end",
    ]);
    expect(issues.join("\n")).not.toContain("s3cr");
  });

  it("accepts header values with inner blanks, tabs and obs-text", () => {
    expect(parseConfig(VALID, { NOTES_TOKEN: "a\tb c\u00e9" }).servers[1]?.headers.authorization).toBe(
      "Bearer a\tb c\u00e9",
    );
  });

  it("returns a deeply frozen config", () => {
    const config = parseConfig(VALID, { NOTES_TOKEN: "x" });
    expect(Object.isFrozen(config.servers[1]?.headers)).toBe(true);
  });

  // zod drops "__proto__" keys without a word: an upstream credential header or a policy of that name would vanish.
  it.each([
    [
      "an upstream header",
      "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp', headers: { __proto__: secret } }",
      "servers[0].headers.__proto__",
    ],
    [
      "a policy",
      "version: 1\nservers: [{ name: a, url: 'http://x/mcp' }]\npolicies:\n  __proto__: { tools: ['*'] }",
      "policies.__proto__",
    ],
  ])("refuses __proto__ as the name of %s, naming where", (_what, text, path) => {
    expect(issuesOf(text)).toEqual([`${path}: "__proto__" cannot be used as a name`]);
  });

  it("keeps other names of Object.prototype members as ordinary names", () => {
    const text =
      "version: 1\nservers: [{ name: a, url: 'http://x/mcp', headers: { constructor: c } }]\n" +
      "consumers: [{ name: c1, policy: toString }]\npolicies:\n  toString: { tools: ['*'] }";
    const config = parseConfig(text, {});
    expect(Object.entries(config.servers[0]?.headers ?? {})).toEqual([["constructor", "c"]]);
    expect(Object.keys(config.policies)).toEqual(["toString"]);
  });

  it("names a missing environment variable and where it is used", () => {
    expect(issuesOf(VALID)).toEqual(["servers[1].headers.authorization: environment variable NOTES_TOKEN is not set"]);
  });

  it.each([
    ["a non-URL server url", "servers:\n  - { name: a, url: not-a-url }", "servers[0].url: expected an http(s) URL"],
    ["a wrong version", "version: 2\nservers: [{ name: a, url: 'http://x/mcp' }]", "version: expected version: 1"],
    [
      "an unknown key",
      "servers:\n  - { name: a, url: 'http://x/mcp', prefx: a }",
      'servers[0]: Unrecognized key: "prefx"',
    ],
    [
      "a bad duration",
      "servers: [{ name: a, url: 'http://x/mcp' }]\nsessions: { ttl: soon }",
      "sessions.ttl: expected a duration",
    ],
    [
      "a bad store",
      "servers: [{ name: a, url: 'http://x/mcp' }]\nsessions: { store: disk }",
      'sessions.store: expected "memory" or a redis:// URL',
    ],
    [
      "a short secret",
      "servers: [{ name: a, url: 'http://x/mcp' }]\nsessions: { secret: abc }",
      "sessions.secret: expected at least 32 characters",
    ],
    ["an upper-case name", "servers: [{ name: Bad, url: 'http://x/mcp' }]", "servers[0].name: expected lower-case"],
  ])("rejects %s with the YAML path", (_label, body, expected) => {
    const text = body.startsWith("version") ? body : `version: 1\nauth: none\n${body}`;
    expect(issuesOf(text).join("\n")).toContain(expected);
  });

  it("reports duplicate server names", () => {
    const text =
      "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp' }\n  - { name: a, url: 'http://y/mcp', prefix: b_ }";
    expect(issuesOf(text)).toEqual(['servers[1].name: duplicate server name "a" (also servers[0])']);
  });

  it("reports prefixes that shadow each other", () => {
    const text =
      "version: 1\nauth: none\nservers:\n  - { name: gh, url: 'http://x/mcp' }\n  - { name: ghadmin, url: 'http://y/mcp', prefix: gh_admin_ }";
    expect(issuesOf(text)).toEqual([
      'servers[1].prefix: prefix "gh_admin_" of "ghadmin" is shadowed by prefix "gh_" of "gh" (tool names would be ambiguous)',
    ]);
  });

  it("allows an empty prefix next to prefixed servers", () => {
    const text =
      "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp', prefix: '' }\n  - { name: b, url: 'http://y/mcp' }";
    expect(parseConfig(text, {}).servers.map((s) => s.prefix)).toEqual(["", "b_"]);
  });

  it("reports YAML syntax errors with a line number", () => {
    expect(issuesOf("version: 1\nservers: [\n")[0]).toMatch(/^line \d+: /);
  });
});

describe("formatPath", () => {
  it.each([
    [["servers", 1, "url"], "servers[1].url"],
    [[], "(root)"],
    [["sessions", "ttl"], "sessions.ttl"],
  ])("formats %j as %s", (path, expected) => {
    expect(formatPath(path)).toBe(expected);
  });
});
