import { createHash } from "node:crypto";
import { GatewayError } from "../errors";
import type { RefreshStore } from "./refresh-store";
import type { OAuthClientConfig, UpstreamAuth } from "../config/upstream-auth-schema";
import { CachedToken } from "./cached-token";
import { nullRecord } from "../own-keys";
import { requestGrant, tokenError, type Grant } from "./token-endpoint";

type RefreshTokenAuth = Extract<UpstreamAuth, { type: "oauth2RefreshToken" }>;
type ExchangeAuth = Extract<UpstreamAuth, { type: "tokenExchange" }>;

const TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
const JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt";
// Exchanged tokens kept at once (one per caller token); the oldest goes first past it.
const MAX_EXCHANGED = 10_000;

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("base64url");
}

/** The grant parameters every mode shares: scope, audience, resource (only those configured). */
function targetParams(client: Omit<OAuthClientConfig, "type">): Record<string, string> {
  const params = nullRecord<string>();
  if (client.scopes.length > 0) params["scope"] = client.scopes.join(" ");
  if (client.audience !== undefined) params["audience"] = client.audience;
  if (client.resource !== undefined) params["resource"] = client.resource;
  return params;
}

/** A client-credentials token for `server`, kept fresh. */
export function clientCredentialsToken(server: string, client: Omit<OAuthClientConfig, "type">): CachedToken {
  const fetch = () => requestGrant(server, client, { grant_type: "client_credentials", ...targetParams(client) });
  return new CachedToken(fetch, { skewMs: client.refreshSkew });
}

/**
 * A refresh-token grant for `server`. Each refresh reads the newest refresh token from `store` (the configured one
 * when the store holds none, or one descending from another configured token: the operator replaced it) and saves a
 * rotated one before the access token is used, so a restart, or another replica sharing the store, continues from it.
 */
export function refreshTokenToken(server: string, auth: RefreshTokenAuth, store: RefreshStore): CachedToken {
  const origin = sha256(auth.refreshToken);
  const fetch = (): Promise<Grant> =>
    store
      .exclusive(async (stored, save) => {
        const refreshToken = stored?.origin === origin ? stored.refreshToken : auth.refreshToken;
        const grant = await requestGrant(server, auth, {
          grant_type: "refresh_token",
          refresh_token: refreshToken,
          ...(auth.scopes.length > 0 ? { scope: auth.scopes.join(" ") } : {}),
          ...(auth.resource !== undefined ? { resource: auth.resource } : {}),
        });
        if (grant.refreshToken !== undefined && grant.refreshToken !== refreshToken) {
          await save({ origin, refreshToken: grant.refreshToken }).catch((error: unknown) => {
            throw tokenError(server, "the rotated refresh token could not be saved to its store", error);
          });
        }
        return grant;
      })
      .catch((error: unknown) => {
        throw error instanceof GatewayError ? error : tokenError(server, "refresh-token store unavailable", error);
      });
  return new CachedToken(fetch, { skewMs: auth.refreshSkew });
}

/**
 * RFC 8693 token exchange for `server`: each caller token (by its hash; the token itself is not kept as a key) is
 * exchanged once for an upstream token with the server's audience, resource and scopes, reused until it expires.
 */
export class ExchangedTokens {
  private readonly tokens = new Map<string, CachedToken>();

  constructor(
    private readonly server: string,
    private readonly auth: ExchangeAuth,
  ) {}

  /** The upstream token for `subjectToken` (the caller's JWT). */
  get(subjectToken: string): Promise<string> {
    const key = sha256(subjectToken);
    let token = this.tokens.get(key);
    if (!token) {
      const fetch = () =>
        requestGrant(this.server, this.auth, {
          grant_type: TOKEN_EXCHANGE,
          subject_token: subjectToken,
          subject_token_type: JWT_TOKEN_TYPE,
          ...targetParams(this.auth),
        });
      token = new CachedToken(fetch, { skewMs: this.auth.refreshSkew });
      if (this.tokens.size >= MAX_EXCHANGED) this.tokens.delete(this.tokens.keys().next().value as string);
      this.tokens.set(key, token);
    }
    return token.get();
  }

  /**
   * Forgets the exchanged token the upstream refused, `refused` (one caller's): the next request of that caller
   * exchanges anew; other callers' tokens are theirs and stay.
   */
  invalidate(refused: string): void {
    for (const [key, token] of this.tokens) if (token.holds(refused)) this.tokens.delete(key);
  }
}
