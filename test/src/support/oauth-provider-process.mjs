// A real OAuth 2.0 / OpenID provider (oidc-provider, ESM-only, hence its own process) for upstream-auth tests:
// client_credentials and refresh_token grants issuing JWT access tokens for resource indicators, and an RFC 8693
// token-exchange grant registered with provider.registerGrantType. Reads its setup as JSON from OAUTH_TEST_SETUP,
// prints `oauth-provider-ready { issuer, refreshTokens }` once it listens on 127.0.0.1.
import { createServer } from "node:http";
import process from "node:process";
import { randomUUID } from "node:crypto";
import { exportJWK, generateKeyPair, importJWK, jwtVerify, createLocalJWKSet, SignJWT } from "jose";
import Provider, { errors } from "oidc-provider";

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const setup = JSON.parse(process.env.OAUTH_TEST_SETUP ?? "{}");
const ttl = setup.accessTokenTtl ?? 300;

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: "oauth-test-1", alg: "RS256", use: "sig" };
const publicJwks = {
  keys: [{ kty: signingKey.kty, n: signingKey.n, e: signingKey.e, kid: signingKey.kid, alg: "RS256", use: "sig" }],
};

const server = createServer();
await new Promise((resolve) => server.listen(setup.port ?? 0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const resourceServerInfo = (resource) => ({
  scope: "mcp",
  audience: resource,
  // Callers' own tokens (for the gateway) live 5 minutes; upstream tokens `accessTokenTtl` (short, to force refreshes).
  accessTokenTTL: resource === setup.callerResource ? 300 : ttl,
  accessTokenFormat: "jwt",
  jwt: { sign: { alg: "RS256" } },
});

const provider = new Provider(issuer, {
  clients: (setup.clients ?? []).map((client) => ({ redirect_uris: ["http://127.0.0.1/callback"], ...client })),
  jwks: { keys: [signingKey] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined,
      getResourceServerInfo: (_ctx, resource) => resourceServerInfo(resource),
      useGrantedResource: () => true,
    },
  },
  rotateRefreshToken: true,
  ttl: { Grant: 86_400, RefreshToken: 86_400, Session: 86_400, ClientCredentials: ttl, AccessToken: ttl },
  scopes: ["openid", "offline_access", "mcp"],
});

// RFC 8693: a subject JWT this provider issued becomes an upstream token for the requested resource, with the
// subject's `sub` and the exchanging client as `act`.
provider.registerGrantType(
  TOKEN_EXCHANGE,
  async (ctx) => {
    const { subject_token: subjectToken, resource, scope } = ctx.oidc.params;
    if (!subjectToken || !resource) throw new errors.InvalidRequest("subject_token and resource are required");
    let subject;
    try {
      subject = (await jwtVerify(subjectToken, createLocalJWKSet(publicJwks), { issuer })).payload;
    } catch {
      throw new errors.InvalidGrant("subject_token is not valid");
    }
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      scope: scope ?? "mcp",
      client_id: ctx.oidc.client.clientId,
      act: { sub: ctx.oidc.client.clientId },
    })
      .setProtectedHeader({ alg: "RS256", kid: signingKey.kid, typ: "at+jwt" })
      .setIssuer(issuer)
      .setSubject(String(subject.sub))
      .setAudience(resource)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(await importJWK(signingKey, "RS256"));
    ctx.body = {
      access_token: token,
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      token_type: "Bearer",
      expires_in: ttl,
    };
  },
  ["subject_token", "subject_token_type", "audience", "resource", "scope", "requested_token_type"],
);

server.on("request", provider.callback());

// Refresh tokens minted up front (a grant as if the user had consented), one per requested { clientId, resource }.
const refreshTokens = [];
for (const wanted of setup.refreshTokens ?? []) {
  const client = await provider.Client.find(wanted.clientId);
  const grant = new provider.Grant({ accountId: wanted.accountId, clientId: wanted.clientId });
  grant.addOIDCScope("openid offline_access");
  grant.addResourceScope(wanted.resource, "mcp");
  const grantId = await grant.save();
  const token = new provider.RefreshToken({
    accountId: wanted.accountId,
    client,
    grantId,
    gty: "authorization_code",
    scope: "openid offline_access",
    resource: wanted.resource,
    authTime: Math.floor(Date.now() / 1000),
  });
  refreshTokens.push(await token.save());
}

process.stdout.write(`oauth-provider-ready ${JSON.stringify({ issuer, refreshTokens })}\n`);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
