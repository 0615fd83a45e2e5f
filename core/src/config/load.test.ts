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
    ["no servers key (an empty set is written servers: [])", "sessions: { ttl: 1h }", "servers:"],
  ])("rejects %s with the YAML path", (_label, body, expected) => {
    const text = body.startsWith("version") ? body : `version: 1\nauth: none\n${body}`;
    expect(issuesOf(text).join("\n")).toContain(expected);
  });

  // What the controller renders once the last MCPServer is gone: a gateway that routes nothing, not the last config.
  it("accepts servers: [] (a gateway with nothing to route)", () => {
    const config = parseConfig("version: 1\nauth: none\nservers: []\n", {});
    expect(config.servers).toEqual([]);
    expect(config.virtualServers).toEqual([]);
  });

  it("refuses a virtual server naming a server when there are none", () => {
    const text = "version: 1\nauth: none\nservers: []\nvirtualServers: [{ name: v, path: /v/mcp, tools: [weather_x] }]";
    expect(issuesOf(text).join("\n")).toContain("virtualServers[0]");
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

  it.each([
    [
      "an unclosed flow sequence",
      "version: 1\nservers: [\n",
      [
        "line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]\n    servers: [\n    ^",
      ],
    ],
    [
      "a mis-indented key",
      "version: 1\nauth: none\nservers:\n  - name: a\n     url: x\n",
      [
        "line 4, column 11: Nested mappings are not allowed in compact mappings\n      - name: a\n              ^",
        "line 4, column 11: Implicit keys need to be on a single line\n      - name: a\n              ^",
      ],
    ],
    [
      "a duplicate key",
      "version: 1\nauth: none\nservers:\n  - name: a\n    url: http://x/mcp\n    url: http://y/mcp\n",
      ["line 6, column 5: Map keys must be unique\n        url: http://x/mcp\n        url: http://y/mcp\n        ^"],
    ],
  ])("reports a YAML syntax error (%s) with line, column, excerpt and caret", (_what, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });

  it("masks the values of credential-like keys in a syntax error's excerpt, keeping ${env:…} references", () => {
    const secret = "s3cr3t-0123456789abcdef0123456789";
    const literal = issuesOf(`version: 1\nsessions:\n  secret: "${secret}"\n  secret: "${secret}"\n`).join("\n");
    expect(literal).toMatch(/^line 4, column 3: Map keys must be unique/);
    expect(literal).not.toContain(secret);
    expect(literal).toContain("secret: ***");
    const referenced = issuesOf("version: 1\nsessions:\n  secret: ${env:A}\n  secret: ${env:B}\n").join("\n");
    expect(referenced).toContain("secret: ${env:A}");
  });

  it("refuses servers[].timeout: 0s, which meant 'at once' in standalone and 'never' in Envoy mode", () => {
    const text = "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp', timeout: 0s }\n";
    expect(issuesOf(text)).toEqual([
      'servers[0].timeout: expected a positive duration; leave timeout out for no per-server bound (0 is not "none")',
    ]);
    const positive = "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp', timeout: 250ms }\n";
    expect(parseConfig(positive, {}).servers[0]?.timeout).toBe(250);
  });

  it("validates standalone.trustedProxies (addresses, CIDR ranges, named ranges), naming a bad entry", () => {
    const base = "version: 1\nauth: none\nservers:\n  - { name: a, url: 'http://x/mcp' }\n";
    const good = `${base}standalone: { trustedProxies: [10.0.0.0/8, "2001:db8::/32", 192.0.2.1, loopback] }\n`;
    expect(parseConfig(good, {}).standalone.trustedProxies).toEqual([
      "10.0.0.0/8",
      "2001:db8::/32",
      "192.0.2.1",
      "loopback",
    ]);
    expect(parseConfig(base, {}).standalone.trustedProxies).toEqual([]);
    expect(issuesOf(`${base}standalone: { trustedProxies: [10.0.0.0/8, 10.0.0.0/40] }\n`)).toEqual([
      'standalone.trustedProxies[1]: expected an IP address or CIDR range (10.0.0.0/8, 2001:db8::/32) or loopback, linklocal, uniquelocal; found "10.0.0.0/40"',
    ]);
  });

  const server = "servers:\n  - { name: a, url: 'http://x/mcp' }\n";
  it.each([
    [
      "a list as a duration",
      "servers:\n  - { name: a, url: 'http://x/mcp', timeout: [30s] }",
      ['servers[0].timeout: expected a duration like "5s", "250ms", "10m" or seconds, found a list'],
    ],
    [
      "a boolean as a duration",
      `${server}health: { interval: true }`,
      ['health.interval: expected a duration like "5s", "250ms", "10m" or seconds, found true'],
    ],
    ["a mapping for the server list", "servers: { a: 1 }", ["servers: expected a list, found a mapping"]],
    ["a missing server list", "", ["servers: required: expected a list"]],
    [
      "a missing server name",
      "servers:\n  - { url: 'http://x/mcp' }",
      ["servers[0].name: required: expected a string"],
    ],
    [
      "a number as a name and as a header value",
      "servers:\n  - { name: 5, url: 'http://x/mcp', headers: { x-key: 123456 } }",
      [
        "servers[0].name: expected a string, found a number",
        "servers[0].headers.x-key: expected a string, found a number",
      ],
    ],
    [
      "a list as a tool filter",
      "servers:\n  - { name: a, url: 'http://x/mcp', tools: [a] }",
      ["servers[0].tools: expected a mapping, found a list"],
    ],
    [
      "an unknown health check",
      "servers:\n  - { name: a, url: 'http://x/mcp', healthCheck: http }",
      ['servers[0].healthCheck: expected "tcp" or "none", found "http"'],
    ],
    [
      "a string as a number",
      `${server}limits: { maxBodyBytes: '10' }`,
      ["limits.maxBodyBytes: expected a number, found a string"],
    ],
    [
      "numbers out of range",
      `${server}limits: { maxJsonDepth: 2000, maxStreamsPerSession: 0, maxHeldCalls: 1.5 }`,
      [
        "limits.maxJsonDepth: expected a number at most 1024, found 2000",
        "limits.maxStreamsPerSession: expected a number more than 0, found 0",
        "limits.maxHeldCalls: expected an integer, found 1.5",
      ],
    ],
    [
      "a number as a session store",
      `${server}sessions: { store: 5 }`,
      ['sessions.store: expected "memory" or a string, found a number'],
    ],
    [
      "a string as a list",
      `${server}security: { allowedHosts: x }`,
      ["security.allowedHosts: expected a list, found a string"],
    ],
  ])("says what was expected and what was found for %s, with the YAML path", (_what, body, expected) => {
    const text = `version: 1\nauth: none\n${body}`;
    expect(issuesOf(text)).toEqual(expected);
  });

  it.each([
    ["an unknown word", "auth: foo\n", ['auth: expected "none" or a mapping, found a string']],
    [
      "a wrong type inside",
      "auth: { apiKeys: { header: 5 } }\n",
      ["auth.apiKeys.header: expected a string, found a number"],
    ],
  ])("names the alternatives of a union or the part that is wrong: %s", (_what, auth, expected) => {
    expect(issuesOf(`version: 1\n${auth}servers:\n  - { name: a, url: 'http://x/mcp' }\n`)).toEqual(expected);
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
