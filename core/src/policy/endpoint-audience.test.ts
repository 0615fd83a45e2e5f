import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from "jose";
import { Authenticator } from "../auth/authenticator";
import { IdentityCodec } from "../auth/identity";
import { JwtVerifier } from "../auth/jwt-verifier";
import { parseConfig } from "../config/load";
import type { GatewayConfig } from "../config/schema";
import { GatewayError } from "../errors";
import { Redactor } from "../sanitize";
import { endpointAudience } from "./endpoint-audience";
import { SecurityGate } from "./security-gate";

const ISSUER = "https://idp.example.com";
const CANONICAL = "https://gw.example.com/mcp";

const config = (jwt: string): GatewayConfig =>
  parseConfig(
    `version: 1
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
  - { name: notes, url: "http://127.0.0.1:2/mcp" }
virtualServers:
  - { name: daily, tools: [{ server: weather, name: get_forecast }] }
auth:
  jwt: { issuer: "${ISSUER}", jwksUrl: "https://idp.example.com/jwks", defaultPolicy: all, ${jwt} }
policies: { all: { tools: ["*"] } }
`,
    {},
  );

describe("endpointAudience", () => {
  const scoped = config(`audience: ["${CANONICAL}", "mcp-gateway"]`);

  it.each([
    ["/mcp", [CANONICAL, "mcp-gateway"]],
    ["/mcp?x=1", [CANONICAL, "mcp-gateway"]],
    ["/mcp/weather", [`${CANONICAL}/weather`]],
    ["/mcp/notes", [`${CANONICAL}/notes`]],
    ["/mcp/virtual/daily", [`${CANONICAL}/virtual/daily`]],
    ["/v1/chat/completions", [CANONICAL, "mcp-gateway"]],
  ])("at %s a token must name %j (endpoint scope, the default)", (target, expected) => {
    expect(endpointAudience(scoped, target)).toEqual(expected);
  });

  it("leaves the configured audience alone with scope gateway", () => {
    expect(endpointAudience(config(`audience: "${CANONICAL}", audienceScope: gateway`), "/mcp/weather")).toBe(
      undefined,
    );
  });

  it("accepts nothing below /mcp when no audience is a URL", () => {
    expect(endpointAudience(config(`audience: mcp-gateway`), "/mcp/weather")).toEqual([]);
  });

  it("never takes the resource from the request's Host", () => {
    expect(endpointAudience(scoped, "/mcp/weather")).not.toContain("http://evil.example/mcp/weather");
  });
});

describe("SecurityGate with per-endpoint audiences", () => {
  let privateKey: KeyLike;
  let jwk: JWK;

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    privateKey = pair.privateKey;
    jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256" };
  });

  const token = (aud: string): Promise<string> =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "k1" })
      .setIssuer(ISSUER)
      .setAudience(aud)
      .setSubject("alice")
      .setExpirationTime("5m")
      .sign(privateKey);

  function gate(jwt: string): SecurityGate {
    const cfg = config(jwt);
    const verifier = new JwtVerifier({
      issuer: ISSUER,
      audience: CANONICAL,
      jwks: { keys: [jwk] },
      algorithms: ["RS256"],
    });
    const authenticator = new Authenticator({ jwt: { verifier, policyFor: () => undefined, defaultPolicy: "all" } });
    return new SecurityGate({
      config: () => cfg,
      authenticator: () => authenticator,
      identities: new IdentityCodec("endpoint-audience-test-secret-0123456789", 60_000),
      redactor: () => new Redactor([]),
    });
  }

  async function outcome(g: SecurityGate, aud: string, target: string): Promise<string> {
    const headers = { host: "gw.example.com", authorization: `Bearer ${await token(aud)}`, ":path": target };
    try {
      await g.authenticate("POST", headers, undefined, target);
      return "accepted";
    } catch (error: unknown) {
      if (!(error instanceof GatewayError)) throw error;
      return `${error.httpStatus} ${error.headers?.["www-authenticate"] ?? ""}`;
    }
  }

  it("accepts a token for /mcp/weather at /mcp/weather", async () => {
    expect(await outcome(gate(`audience: "${CANONICAL}"`), `${CANONICAL}/weather`, "/mcp/weather")).toBe("accepted");
  });

  it.each(["/mcp/notes", "/mcp", "/mcp/virtual/daily"])(
    "refuses a token for /mcp/weather at %s with invalid_token naming the audience",
    async (target) => {
      const refused = await outcome(gate(`audience: "${CANONICAL}"`), `${CANONICAL}/weather`, target);
      expect(refused).toMatch(/^401 Bearer error="invalid_token", error_description="token audience does not include/);
      expect(refused).toContain(`resource https://gw.example.com${target}`);
    },
  );

  it("refuses a token for /mcp at /mcp/weather", async () => {
    expect(await outcome(gate(`audience: "${CANONICAL}"`), CANONICAL, "/mcp/weather")).toMatch(/^401 .*audience/);
  });

  it("accepts the gateway audience everywhere with audienceScope: gateway (the old behaviour)", async () => {
    const g = gate(`audience: "${CANONICAL}", audienceScope: gateway`);
    expect(await outcome(g, CANONICAL, "/mcp/notes")).toBe("accepted");
    expect(await outcome(g, `${CANONICAL}/weather`, "/mcp/notes")).toMatch(/^401 /);
  });
});
