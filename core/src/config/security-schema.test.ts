import { hashApiKey } from "../auth/api-keys";
import { ConfigError, parseConfig } from "./load";

const SERVERS = `servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: notes, url: "http://127.0.0.1:2/mcp" }
`;
const HASH_A = hashApiKey("mcpgw_alice");
const HASH_B = hashApiKey("mcpgw_bob");
const JWT = `{ issuer: "https://idp.example.com", audience: mcp, jwksUrl: "https://idp.example.com/jwks" }`;

/** A config with the two servers and the given security sections. */
const withSecurity = (sections: string): string => `version: 1\n${SERVERS}${sections}`;

/** A guarded config: one consumer `alice` with policy `p`, and the given policy body. */
const withPolicy = (policy: string, extra = ""): string =>
  withSecurity(`consumers: [{ name: alice, policy: p, keyHash: "${HASH_A}" }]\npolicies:\n  p: ${policy}\n${extra}`);

function issuesOf(text: string): readonly string[] {
  try {
    parseConfig(text, {});
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("auth and its absence", () => {
  it.each([
    ["consumers", `auth: none\nconsumers: [{ name: alice, policy: p }]\npolicies: { p: { tools: ["*"] } }`],
    ["policies alone", `auth: none\npolicies: { p: { tools: ["*"] } }`],
  ])("rejects auth: none combined with %s", (_label, sections) => {
    expect(issuesOf(withSecurity(sections))).toContain(
      "auth: auth: none cannot be combined with consumers or policies (remove one or the other)",
    );
  });

  it("rejects a config with no auth, consumers or policies, pointing at auth: none", () => {
    const issues = issuesOf(withSecurity(""));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^auth: no authentication configured: .*`auth: none`/);
  });

  it("accepts auth: none on its own and keeps it", () => {
    expect(parseConfig(withSecurity("auth: none\n"), {}).auth).toBe("none");
  });

  it("defaults to API keys in Authorization: Bearer when consumers exist without an auth section", () => {
    const config = parseConfig(withPolicy(`{ tools: ["*"] }`), {});
    expect(config.auth).toEqual({
      apiKeys: { header: "authorization" },
      resourceMetadata: { authorizationServers: [] },
    });
  });

  it("lower-cases a configured API key header name", () => {
    const config = parseConfig(withPolicy(`{ tools: ["*"] }`, "auth: { apiKeys: { header: X-API-Key } }"), {});
    expect(config.auth !== "none" && config.auth.apiKeys?.header).toBe("x-api-key");
  });

  it("rejects an auth section that enables neither API keys nor JWTs", () => {
    expect(issuesOf(withPolicy(`{ tools: ["*"] }`, "auth: {}"))).toContain(
      "auth: enable apiKeys, jwt or both (or set auth: none)",
    );
  });
});

describe("the API key header", () => {
  it.each(["x-mcp-key", "X-MCP-Identity", "x-destination-mcp"])("refuses the gateway's own header %s", (header) => {
    const issues = issuesOf(withPolicy(`{ tools: ["*"] }`, `auth: { apiKeys: { header: ${header} } }`));
    expect(issues.join("\n")).toContain(
      "auth.apiKeys.header: x-mcp-* and x-destination-mcp are the gateway's own headers",
    );
  });
});

describe("JWT algorithms", () => {
  it.each(["HS256", "HS384", "HS512", "none", "rs256"])("rejects %s naming it", (alg) => {
    const text = withSecurity(
      `auth: { jwt: { issuer: "https://idp.example.com", audience: mcp, jwksUrl: "https://idp.example.com/jwks", algorithms: [RS256, "${alg}"] } }\npolicies: { p: {} }`,
    );
    const issues = issuesOf(text);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^auth\\.jwt\\.algorithms\\[1\\]: algorithm "${alg}" is not allowed`));
  });

  it.each(["RS256", "PS384", "ES256", "EdDSA"])("accepts %s", (alg) => {
    const config = parseConfig(
      withSecurity(
        `auth: { jwt: { issuer: "https://idp.example.com", audience: mcp, jwksUrl: "https://idp.example.com/jwks", algorithms: [${alg}] } }\npolicies: { p: {} }`,
      ),
      {},
    );
    expect(config.auth !== "none" && config.auth.jwt?.algorithms).toEqual([alg]);
  });

  it("defaults to RS256 only", () => {
    const config = parseConfig(withSecurity(`auth: { jwt: ${JWT} }\npolicies: { p: {} }`), {});
    expect(config.auth !== "none" && config.auth.jwt?.algorithms).toEqual(["RS256"]);
  });
});

describe("consumers and policies", () => {
  it("rejects a consumer naming a policy that does not exist", () => {
    const text = withSecurity(`consumers: [{ name: alice, policy: nope, keyHash: "${HASH_A}" }]\npolicies: { p: {} }`);
    expect(issuesOf(text)).toEqual(['consumers[0].policy: no policy named "nope" in policies']);
  });

  // BUG: security-checks.ts tests `consumer.policy in policies`, which also finds Object.prototype's members.
  it.each(["toString", "constructor", "hasOwnProperty"])(
    "rejects a consumer naming %s, which is no policy (only an inherited object member)",
    (name) => {
      const text = withSecurity(`consumers: [{ name: alice, policy: ${name} }]\npolicies: { p: {} }`);
      expect(issuesOf(text)).toEqual([`consumers[0].policy: no policy named "${name}" in policies`]);
    },
  );

  it("rejects a JWT default policy that does not exist", () => {
    const text = withSecurity(
      `auth: { jwt: { issuer: "https://idp.example.com", audience: mcp, jwksUrl: "https://idp.example.com/jwks", defaultPolicy: nope } }\npolicies: { p: {} }`,
    );
    expect(issuesOf(text)).toEqual(['auth.jwt.defaultPolicy: no policy named "nope" in policies']);
  });

  it("rejects two consumers with the same name", () => {
    const text = withSecurity(
      `consumers: [{ name: alice, policy: p, keyHash: "${HASH_A}" }, { name: alice, policy: p, keyHash: "${HASH_B}" }]\npolicies: { p: {} }`,
    );
    expect(issuesOf(text)).toEqual(['consumers[1].name: duplicate consumer "alice" (also consumers[0])']);
  });

  it("rejects two consumers whose names differ only in case", () => {
    const text = withSecurity(
      `consumers: [{ name: alice, policy: p, keyHash: "${HASH_A}" }, { name: ALICE, policy: p, keyHash: "${HASH_B}" }]\npolicies: { p: {} }`,
    );
    expect(issuesOf(text)).toEqual(['consumers[1].name: duplicate consumer "ALICE" (also consumers[0])']);
  });

  it("rejects two consumers with the same key hash", () => {
    const text = withSecurity(
      `consumers: [{ name: alice, policy: p, keyHash: "${HASH_A}" }, { name: bob, policy: p, keyHash: "${HASH_A}" }]\npolicies: { p: {} }`,
    );
    expect(issuesOf(text)).toEqual(["consumers[1].keyHash: the same key hash as consumers[0]"]);
  });

  it("rejects a key hash when only JWTs are configured", () => {
    const text = withSecurity(
      `auth: { jwt: ${JWT} }\nconsumers: [{ name: alice, policy: p, keyHash: "${HASH_A}" }]\npolicies: { p: {} }`,
    );
    expect(issuesOf(text)).toEqual(["consumers[0].keyHash: API keys are not enabled (auth.apiKeys)"]);
  });

  it.each([
    ["a raw key", "mcpgw_alice"],
    ["an upper-case digest", hashApiKey("k").toUpperCase().replace("SHA256", "sha256")],
    ["a short digest", "sha256:abc"],
  ])("rejects %s as a key hash", (_label, keyHash) => {
    const text = withSecurity(`consumers: [{ name: alice, policy: p, keyHash: "${keyHash}" }]\npolicies: { p: {} }`);
    expect(issuesOf(text).join("\n")).toContain('consumers[0].keyHash: expected "sha256:<64 hex>"');
  });

  it.each(["-alice", "al ice", "a/b", "x".repeat(64)])("rejects the consumer name %j", (name) => {
    const text = withSecurity(`consumers: [{ name: "${name}", policy: p }]\npolicies: { p: {} }`);
    expect(issuesOf(text).join("\n")).toContain("consumers[0].name: expected letters, digits");
  });

  it("rejects a policy narrowing to a server that does not exist", () => {
    expect(issuesOf(withPolicy(`{ servers: [ghost], tools: ["*"] }`))).toEqual([
      'policies.p.servers: no server named "ghost"',
    ]);
  });

  it("leaves every list of a policy empty (default deny) unless it names something", () => {
    const config = parseConfig(withPolicy("{}"), {});
    expect(config.policies["p"]).toEqual({ tools: [], prompts: [], resources: [] });
  });

  it("rejects an empty glob in a policy list", () => {
    expect(issuesOf(withPolicy(`{ tools: [""] }`))).toEqual(["policies.p.tools[0]: expected a non-empty pattern"]);
  });

  it("rejects an unknown key in a policy", () => {
    expect(issuesOf(withPolicy(`{ tool: ["*"] }`)).join("\n")).toContain('policies.p: Unrecognized key: "tool"');
  });
});

describe("rates", () => {
  it.each([
    ["5/s", 5],
    ["100/m", 100 / 60],
    ["1000/h", 1000 / 3600],
    ["2 / sec", 2],
    ["30/minute", 0.5],
    ["0.5/s", 0.5],
    [3, 3],
    [0.25, 0.25],
  ])("reads the rate %j as %d tokens per second", (rate, perSecond) => {
    const config = parseConfig(withPolicy(`{ rateLimit: { rate: ${JSON.stringify(rate)}, burst: 10 } }`), {});
    expect(config.policies["p"]?.rateLimit?.ratePerSecond).toBeCloseTo(perSecond, 12);
    expect(config.policies["p"]?.rateLimit?.burst).toBe(10);
  });

  it.each(["fast", "5/d", "5", "/s", "-5/s", "0/s", "5/s/s", 0, -1])("rejects the rate %j", (rate) => {
    const issues = issuesOf(withPolicy(`{ toolRateLimit: { rate: ${JSON.stringify(rate)}, burst: 10 } }`));
    expect(issues).toEqual([
      `policies.p.toolRateLimit.rate: expected a rate like "5/s", "100/m" or "1000/h", got ${JSON.stringify(rate)}`,
    ]);
  });

  it.each([
    ["[5/s]", "a list"],
    ["{ per: s }", "a mapping"],
    ["true", "true"],
  ])("says what it found for the rate %s", (rate, found) => {
    expect(issuesOf(withPolicy(`{ rateLimit: { rate: ${rate}, burst: 10 } }`))).toEqual([
      `policies.p.rateLimit.rate: expected a rate like "5/s", "100/m" or "1000/h", found ${found}`,
    ]);
  });

  it.each([0, 1.5, -1])("rejects the burst %d", (burst) => {
    expect(issuesOf(withPolicy(`{ rateLimit: { rate: 5/s, burst: ${burst} } }`)).join("\n")).toContain(
      "policies.p.rateLimit.burst:",
    );
  });

  it("requires a burst", () => {
    expect(issuesOf(withPolicy(`{ rateLimit: { rate: 5/s } }`)).join("\n")).toContain("policies.p.rateLimit.burst:");
  });
});

describe("admin", () => {
  const admin = (body: string): string => withPolicy(`{ tools: ["*"] }`, `admin: ${body}`);
  const TOKEN = "t".repeat(32);

  it.each([
    ["neither token nor tokenHash", "{}"],
    ["both token and tokenHash", `{ token: "${TOKEN}", tokenHash: "${HASH_A}" }`],
  ])("rejects %s", (_label, body) => {
    expect(issuesOf(admin(body))).toEqual(["admin.token: set exactly one of admin.token or admin.tokenHash"]);
  });

  it("stores a configured token only as its hash", () => {
    const config = parseConfig(admin(`{ token: "${TOKEN}" }`), {});
    expect(config.admin).toEqual({
      listen: "127.0.0.1:9092",
      store: "file:./mcp-gateway-consumers.json",
      tokenHash: hashApiKey(TOKEN),
    });
  });

  it("keeps a configured token hash", () => {
    expect(parseConfig(admin(`{ tokenHash: "${HASH_B}" }`), {}).admin?.tokenHash).toBe(HASH_B);
  });

  it("rejects a short admin token", () => {
    expect(issuesOf(admin(`{ token: short }`))).toEqual(["admin.token: expected at least 32 characters"]);
  });

  it("requires API keys, since the admin API issues them", () => {
    const text = withSecurity(`auth: { jwt: ${JWT} }\npolicies: { p: {} }\nadmin: { token: "${TOKEN}" }`);
    expect(issuesOf(text)).toEqual(["admin: the admin API issues API keys, so auth.apiKeys must be enabled"]);
  });
});

describe("sanitize patterns", () => {
  const rule = (pattern: string): string =>
    withSecurity(`auth: none\nsanitize: { rules: [{ patterns: [${JSON.stringify(pattern)}] }] }`);

  it.each(["(", "[a-", "a{2,1}", "\\p{Nope}"])("rejects the invalid regular expression %j", (pattern) => {
    const issues = issuesOf(rule(pattern));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^sanitize\.rules\[0\]\.patterns\[0\]: invalid regular expression: /);
  });

  it.each(["a*", "", "(?:)", "x?", "^"])("rejects %j, which matches the empty string", (pattern) => {
    expect(issuesOf(rule(pattern))).toEqual(["sanitize.rules[0].patterns[0]: pattern matches the empty string"]);
  });

  it("accepts a pattern that needs at least one character", () => {
    const config = parseConfig(rule("sk-[A-Za-z0-9]{20,}"), {});
    expect(config.sanitize.rules[0]?.patterns).toEqual(["sk-[A-Za-z0-9]{20,}"]);
  });

  it("rejects a rule naming a server that does not exist", () => {
    const text = withSecurity(`auth: none\nsanitize: { rules: [{ servers: [ghost], keys: [password] }] }`);
    expect(issuesOf(text)).toEqual(['sanitize.rules[0].servers: no server named "ghost"']);
  });
});
