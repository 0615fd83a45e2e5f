import { AuthError, type AuthFailureReason } from "../auth/auth-errors";
import { parseConfig } from "../config/load";
import { JsonRpcErrorCode } from "../errors";
import { advertisesProtectedResource, authFailure, resourceUrl } from "./auth-failure";

const SERVERS = `version: 1
servers: [{ name: weather, url: "http://127.0.0.1:1/mcp" }]
virtualServers: [{ name: team, tools: [{ server: weather, name: get_forecast }] }]
`;
const IDP = `authorizationServers: ["https://idp.example.com"]`;
/** API keys only: no authorization server, so no OAuth metadata is advertised. */
const guarded = parseConfig(`${SERVERS}consumers: [{ name: alice, policy: p }]\npolicies: { p: {} }\n`, {});
const oauth = parseConfig(
  `${SERVERS}auth: { apiKeys: {}, resourceMetadata: { ${IDP} } }\nconsumers: [{ name: alice, policy: p }]\npolicies: { p: {} }\n`,
  {},
);
const configured = parseConfig(
  `${SERVERS}auth: { apiKeys: {}, resourceMetadata: { resource: "https://mcp.example.com/mcp", ${IDP} } }\npolicies: { p: {} }\n`,
  {},
);
const noServers = parseConfig(
  `${SERVERS}auth: { apiKeys: {}, resourceMetadata: { resource: "https://mcp.example.com/mcp" } }\npolicies: { p: {} }\n`,
  {},
);
const open = parseConfig(`${SERVERS}auth: none\n`, {});

describe("resourceUrl", () => {
  it.each([
    ["the Host header", { host: "gw.example.com:8080" }, "http://gw.example.com:8080/mcp"],
    ["x-forwarded-proto", { host: "gw.example.com", "x-forwarded-proto": "https" }, "https://gw.example.com/mcp"],
    [
      "the first of several x-forwarded-proto values",
      { host: "gw.example.com", "x-forwarded-proto": " https , http" },
      "https://gw.example.com/mcp",
    ],
    [
      "an empty x-forwarded-proto as http",
      { host: "gw.example.com", "x-forwarded-proto": "" },
      "http://gw.example.com/mcp",
    ],
    ["Envoy's :authority without a Host header", { ":authority": "gw.example.com" }, "http://gw.example.com/mcp"],
    ["Host over :authority", { host: "a.example.com", ":authority": "b.example.com" }, "http://a.example.com/mcp"],
    ["localhost without either", {}, "http://localhost/mcp"],
  ])("derives the URL from %s", (_label, headers: Record<string, string>, expected) => {
    expect(resourceUrl(guarded, headers)).toBe(expected);
  });

  it("prefers the configured resource over the request's headers", () => {
    expect(resourceUrl(configured, { host: "evil.example.com", "x-forwarded-proto": "https" })).toBe(
      "https://mcp.example.com/mcp",
    );
  });

  it.each([
    [guarded, "/mcp/weather", { host: "gw.example.com" }, "http://gw.example.com/mcp/weather"],
    [configured, "/mcp/virtual/team", { host: "evil.example.com" }, "https://mcp.example.com/mcp/virtual/team"],
  ])("continues the resource with another endpoint's path (%#)", (config, path, headers, expected) => {
    expect(resourceUrl(config, headers, path)).toBe(expected);
  });

  it("derives the URL from the request with auth: none", () => {
    expect(resourceUrl(open, { host: "gw.example.com" })).toBe("http://gw.example.com/mcp");
  });
});

describe("advertisesProtectedResource", () => {
  it.each([
    ["API keys only", guarded, false],
    ["a resource but no authorization server", noServers, false],
    ["auth: none", open, false],
    ["an authorization server", oauth, true],
    ["a resource and an authorization server", configured, true],
  ])("with %s: %s", (_label, config, expected) => {
    expect(advertisesProtectedResource(config)).toBe(expected);
  });
});

describe("authFailure", () => {
  const headers = { host: "gw.example.com", "x-forwarded-proto": "https" };
  const METADATA = 'resource_metadata="https://gw.example.com/.well-known/oauth-protected-resource/mcp"';

  // An empty authorization_servers list sent the MCP Inspector 2.x into an OAuth flow it could not finish.
  it.each([
    ["API keys only", guarded],
    ["a resource but no authorization server", noServers],
  ])("with %s, challenges with a plain Bearer and no resource_metadata", (_label, config) => {
    const missing = authFailure(config, headers, new AuthError("missing-credentials", "no credentials"));
    expect(missing).toMatchObject({ httpStatus: 401, headers: { "www-authenticate": "Bearer" } });
    const invalid = authFailure(config, headers, new AuthError("invalid-api-key", "API key is not valid"));
    expect(invalid.headers["www-authenticate"]).toBe(
      'Bearer error="invalid_token", error_description="API key is not valid"',
    );
  });

  it("answers missing credentials with 401 and a bare challenge pointing at the resource metadata", () => {
    const error = authFailure(oauth, headers, new AuthError("missing-credentials", "no credentials"));
    expect(error).toMatchObject({ code: JsonRpcErrorCode.Unauthorized, httpStatus: 401 });
    expect(error.headers).toEqual({ "www-authenticate": `Bearer ${METADATA}` });
  });

  it.each<AuthFailureReason>([
    "invalid-api-key",
    "malformed-token",
    "invalid-signature",
    "expired",
    "wrong-audience",
    "algorithm-not-allowed",
    "revoked",
  ])("answers %s with 401 and an invalid_token challenge", (reason) => {
    const error = authFailure(oauth, headers, new AuthError(reason, "token has expired"));
    expect(error.httpStatus).toBe(401);
    expect(error.headers["www-authenticate"]).toBe(
      `Bearer ${METADATA}, error="invalid_token", error_description="token has expired"`,
    );
  });

  it("says why in the message", () => {
    expect(authFailure(guarded, headers, new AuthError("invalid-api-key", "API key is not valid")).message).toBe(
      "unauthorized: API key is not valid",
    );
  });

  it("points at the configured resource's metadata", () => {
    const error = authFailure(configured, { host: "evil.example.com" }, new AuthError("missing-credentials", "x"));
    expect(error.headers["www-authenticate"]).toBe(
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp"',
    );
  });

  // RFC 9728 §3.1: each endpoint is its own protected resource; its metadata lives under its own path.
  it.each([
    ["/mcp/weather", oauth, "https://gw.example.com/.well-known/oauth-protected-resource/mcp/weather"],
    ["/mcp/virtual/team?x=1", oauth, "https://gw.example.com/.well-known/oauth-protected-resource/mcp/virtual/team"],
    ["/mcp/weather", configured, "https://mcp.example.com/.well-known/oauth-protected-resource/mcp/weather"],
    ["/mcp", oauth, "https://gw.example.com/.well-known/oauth-protected-resource/mcp"],
    // Security review F7: an endpoint-shaped path names its own metadata, configured or not (no existence oracle).
    ["/mcp/nope", oauth, "https://gw.example.com/.well-known/oauth-protected-resource/mcp/nope"],
    ["/mcp/%77eather", oauth, "https://gw.example.com/.well-known/oauth-protected-resource/mcp"],
  ])("at %s, points at that endpoint's metadata", (target, config, url) => {
    const error = authFailure(config, headers, new AuthError("missing-credentials", "x"), target);
    expect(error.headers["www-authenticate"]).toBe(`Bearer resource_metadata="${url}"`);
  });

  it("takes the endpoint from Envoy's :path", () => {
    const error = authFailure(oauth, { ...headers, ":path": "/mcp/weather" }, new AuthError("expired", "x"));
    expect(error.headers["www-authenticate"]).toContain('/.well-known/oauth-protected-resource/mcp/weather"');
  });

  it("answers a valid identity without a policy with 403 and no challenge", () => {
    const error = authFailure(guarded, headers, new AuthError("no-policy", "the token's consumer has no policy"));
    expect(error).toMatchObject({ httpStatus: 403, code: JsonRpcErrorCode.Forbidden, headers: {} });
  });

  it("answers an unreachable JWKS with 503 and retry-after", () => {
    const error = authFailure(guarded, headers, new AuthError("jwks-unavailable", "x"));
    expect(error).toMatchObject({ httpStatus: 503, headers: { "retry-after": "5" } });
  });

  it("keeps CR and LF of a message out of the header", () => {
    const error = authFailure(guarded, headers, new AuthError("invalid-api-key", "bad\r\nset-cookie: x=1"));
    expect(error.headers["www-authenticate"]).not.toMatch(/[\r\n]/);
  });

  // BUG: auth-failure.ts builds `${proto}://host/mcp` from a client-sent x-forwarded-proto; for anything but
  // http/https, resourceMetadataUrl throws a plain Error, so a request without credentials gets a 500, not a 401.
  it.each(["ftp", "javascript", "wss"])("still answers 401 when x-forwarded-proto is %j", (proto) => {
    const call = (): unknown =>
      authFailure(
        oauth,
        { host: "gw.example.com", "x-forwarded-proto": proto },
        new AuthError("missing-credentials", "x"),
      );
    expect(call).not.toThrow();
    expect(call()).toMatchObject({ httpStatus: 401 });
  });
});
