// A real OpenID Provider for the console's sign-in test: oidc-provider (ESM only, hence this script, run by node in a
// child process) on 127.0.0.1, its dev login and consent pages, one public client, JWT access tokens for one resource.
// Arguments: <port> <client id> <redirect uri> <resource> [<options JSON>]; options: accessTokenTtl (seconds, else
// oidc-provider's default), refreshTokens (the client may use the refresh_token grant: offline_access is honoured and
// each refresh rotates the refresh token). Prints "ready <issuer>" once listening.
import { generateKeyPairSync } from "node:crypto";
import process from "node:process";
import { URL } from "node:url";
import Provider from "oidc-provider";

const [port, clientId, redirectUri, resource, optionsJson] = process.argv.slice(2);
if (!port || !clientId || !redirectUri || !resource)
  throw new Error("usage: <port> <client id> <redirect uri> <resource> [<options JSON>]");
const { accessTokenTtl, refreshTokens = false } = JSON.parse(optionsJson ?? "{}");
const issuer = `http://127.0.0.1:${port}`;
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: "jwk" }), kid: "console-test", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      token_endpoint_auth_method: "none",
      redirect_uris: [redirectUri],
      grant_types: refreshTokens ? ["authorization_code", "refresh_token"] : ["authorization_code"],
      response_types: ["code"],
    },
  ],
  jwks: { keys: [signingKey] },
  // The dev login page takes any name: that name becomes the subject (the gateway's consumer).
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  clientBasedCORS: (_ctx, origin) => origin === new URL(redirectUri).origin,
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, indicator) => {
        if (indicator !== resource) throw new Error(`unknown resource ${indicator}`);
        const ttl = accessTokenTtl === undefined ? {} : { accessTokenTTL: accessTokenTtl };
        return { scope: "mcp", audience: resource, accessTokenFormat: "jwt", jwt: { sign: { alg: "RS256" } }, ...ttl };
      },
    },
  },
});
provider.listen(Number(port), "127.0.0.1", () => process.stdout.write(`ready ${issuer}\n`));
