import { join } from "node:path";
import { startReadyChild } from "./ready-child";

/** A client registered at the test provider. */
export interface TestClient {
  client_id: string;
  /** Absent for a client authenticating with private_key_jwt. */
  client_secret?: string;
  grant_types: string[];
  /** `private_key_jwt` for a client that signs assertions with a key of `jwks` (client_secret_basic otherwise). */
  token_endpoint_auth_method?: string;
  /** The client's public keys (for private_key_jwt). */
  jwks?: { keys: object[] };
}

/** What the test provider is started with. */
export interface OAuthProviderSetup {
  clients: TestClient[];
  /** Lifetime of every access token it issues, in seconds (default 300). */
  accessTokenTtl?: number;
  /** The resource (audience) of callers' own tokens for the gateway: those live 300 s whatever `accessTokenTtl`. */
  callerResource?: string;
  /** Refresh tokens to mint at start (a grant as after consent), for a client and resource. */
  refreshTokens?: { clientId: string; accountId: string; resource: string }[];
}

/** The running provider (oidc-provider in its own process: the package is ESM-only). */
export interface OAuthProvider {
  issuer: string;
  tokenUrl: string;
  jwksUrl: string;
  /** The refresh tokens minted at start, in the order asked for. */
  refreshTokens: string[];
  /** The token-exchange grant type it accepts (RFC 8693). */
  tokenExchangeGrant: string;
  close(): Promise<void>;
}

const READY = "oauth-provider-ready ";

/** The RFC 8693 grant type. */
export const TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange";

/** Gets a client-credentials access token from `provider` for `resource` (a caller's JWT in tests). */
export async function clientToken(provider: OAuthProvider, client: TestClient, resource: string): Promise<string> {
  const response = await fetch(provider.tokenUrl, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret ?? ""}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams({ grant_type: "client_credentials", resource, scope: "mcp" }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (response.status !== 200 || !body.access_token) throw new Error(`token request failed: ${response.status}`);
  return body.access_token;
}

/** Starts oidc-provider on 127.0.0.1 (free port) with `setup`; resolves once it listens. */
export async function startOAuthProvider(setup: OAuthProviderSetup): Promise<OAuthProvider> {
  // The provider prints notices on stdout too: the ready line is the one with the marker.
  const child = await startReadyChild<{ issuer: string; refreshTokens: string[] }>(
    join(__dirname, "oauth-provider-process.mjs"),
    { ...process.env, OAUTH_TEST_SETUP: JSON.stringify(setup) },
    READY,
    "oauth provider",
  );
  const { started } = child;
  return {
    issuer: started.issuer,
    tokenUrl: `${started.issuer}/token`,
    jwksUrl: `${started.issuer}/jwks`,
    refreshTokens: started.refreshTokens,
    tokenExchangeGrant: TOKEN_EXCHANGE_GRANT,
    close: child.stop,
  };
}
