import { ConfigError, parseConfig } from "./load";

const SECRET = "literal-client-secret-9f2c";

function config(server: string): string {
  return `
version: 1
auth: none
servers:
  - { name: crm, url: "http://127.0.0.1:9101/mcp", ${server} }
`;
}

function issuesOf(text: string, env: Record<string, string> = {}): string {
  try {
    parseConfig(text, env);
  } catch (error: unknown) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

const CLIENT = `tokenUrl: "http://127.0.0.1:9000/token", clientId: gw, clientSecret: "\${env:SECRET}"`;

describe("servers[].auth", () => {
  it("reads client credentials with env-interpolated secret, default scopes and refresh skew", () => {
    const parsed = parseConfig(config(`auth: { type: oauth2ClientCredentials, ${CLIENT} }`), { SECRET });
    expect(parsed.servers[0]?.auth).toEqual({
      type: "oauth2ClientCredentials",
      tokenUrl: "http://127.0.0.1:9000/token",
      clientId: "gw",
      clientSecret: SECRET,
      scopes: [],
      refreshSkew: 30_000,
    });
  });

  it("reads a PostgreSQL refresh-token store with an env-interpolated URL and a key", () => {
    const store = `store: { postgres: "\${env:PG_URL}", key: crm-rt }`;
    const text = config(`auth: { type: oauth2RefreshToken, ${CLIENT}, refreshToken: r, ${store} }`);
    const parsed = parseConfig(text, { SECRET, PG_URL: "postgres://gw:pw@db:5432/gateway" });
    const auth = parsed.servers[0]?.auth;
    expect(auth?.type === "oauth2RefreshToken" && auth.store).toEqual({
      postgres: "postgres://gw:pw@db:5432/gateway",
      key: "crm-rt",
    });
  });

  it("refuses auth together with a configured Authorization header", () => {
    const text = config(`headers: { Authorization: "Bearer x" }, auth: { type: oauth2ClientCredentials, ${CLIENT} }`);
    expect(issuesOf(text, { SECRET })).toContain("a server with `auth` gets its Authorization header from it");
  });

  it.each([
    ["an unknown type", `auth: { type: magic, ${CLIENT} }`, "servers[0].auth.type"],
    ["passthrough without an audience", "auth: { type: passthrough }", "servers[0].auth.audience"],
    [
      "a refresh-token grant without a store",
      `auth: { type: oauth2RefreshToken, ${CLIENT}, refreshToken: r }`,
      "store",
    ],
    [
      "a PostgreSQL store whose URL is not postgres://",
      `auth: { type: oauth2RefreshToken, ${CLIENT}, refreshToken: r, store: { postgres: "mysql://db/x" } }`,
      "expected a postgres:// or postgresql:// URL",
    ],
    ["a scope with a space", `auth: { type: oauth2ClientCredentials, ${CLIENT}, scopes: ["a b"] }`, "OAuth scope"],
  ])("refuses %s", (_label, server, expected) => {
    expect(issuesOf(config(server), { SECRET })).toContain(expected);
  });

  it("never repeats a literal secret in its errors", () => {
    const server = `auth: { type: oauth2ClientCredentials, tokenUrl: "ftp://x", clientId: gw, clientSecret: "${SECRET}" }`;
    const message = issuesOf(config(server));
    expect(message).toContain("servers[0].auth.tokenUrl");
    expect(message).not.toContain(SECRET);
  });
});
