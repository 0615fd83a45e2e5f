import { refreshOidcTokens, type OidcSettings, type OidcTokens } from "./oidc";

/** A token that can expire: the value to send now, and a renewal after the gateway refused `stale`. */
export interface TokenSource {
  current(): Promise<string>;
  renew(stale: string): Promise<string>;
}

/** Thrown while the console leaves to sign in again: the session expired and no refresh token could renew it. */
export class SessionExpiredError extends Error {
  override readonly name = "SessionExpiredError";
}

/** How long before its expiry a token is renewed: a quarter of its life, at most 30 s. */
function margin(tokens: OidcTokens): number {
  return Math.min(30_000, ((tokens.expiresIn ?? 0) * 1000) / 4);
}

/**
 * The OIDC access token, held in memory only, renewed ahead of its expiry (from `expires_in`) and on a 401 Bearer
 * challenge: silently with the refresh token when the issuer granted one (a rotated refresh token replaces the old),
 * else by `signInAgain`, which leaves for the issuer. One renewal at a time: a rotated refresh token is used once.
 */
export class OidcToken implements TokenSource {
  private renewing: Promise<string> | undefined;

  constructor(
    private readonly settings: OidcSettings,
    private tokens: OidcTokens,
    private readonly signInAgain: () => Promise<void>,
  ) {}

  /** The access token to send: renewed first when it expires within the margin. */
  current(): Promise<string> {
    const { accessToken, expiresAt } = this.tokens;
    if (expiresAt !== undefined && Date.now() >= expiresAt - margin(this.tokens)) return this.renew(accessToken);
    return Promise.resolve(accessToken);
  }

  /** A new access token after `stale` was refused (or is about to expire); the current one if already renewed. */
  renew(stale: string): Promise<string> {
    if (stale !== this.tokens.accessToken) return Promise.resolve(this.tokens.accessToken);
    this.renewing ??= this.refresh().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  private async refresh(): Promise<string> {
    if (this.tokens.refreshToken) {
      try {
        this.tokens = await refreshOidcTokens(this.settings, this.tokens);
        return this.tokens.accessToken;
      } catch {
        // The issuer refused the refresh token (revoked, expired, reused): sign in again below.
      }
    }
    await this.signInAgain();
    throw new SessionExpiredError(`Your session expired: signing in again at ${this.settings.issuer}`);
  }
}
