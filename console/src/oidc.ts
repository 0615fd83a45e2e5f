import * as oauth from "oauth4webapi";

/** The gateway's `/ui/config.json` OIDC settings (broker/src/console/console-settings.ts). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
  resource: string | null;
  /** Ask for `offline_access` (console.oidcOfflineAccess), for a refresh token. */
  offlineAccess: boolean;
}

/** What a sign-in returns, held in memory only: the access token, its expiry, and a refresh token when granted. */
export interface OidcTokens {
  accessToken: string;
  /** Epoch milliseconds from the token response's `expires_in`; absent when the issuer did not say. */
  expiresAt?: number;
  /** Seconds the access token lives (`expires_in`). */
  expiresIn?: number;
  refreshToken?: string;
}

/** Where the user was when a sign-in started, to return there: the console's view, and whether the session expired. */
export interface OidcPlace {
  view: string;
  expired: boolean;
}

/**
 * What survives the round trip to the authorization server: in sessionStorage, this tab only, removed on return.
 * Never a token; the verifier stays here, out of every URL.
 */
interface Pending {
  issuer: string;
  state: string;
  verifier: string;
  place?: OidcPlace;
}

const PENDING_KEY = "mcp-gateway-console.oidc-pending";

/** The console's sign-in settings, served by the gateway beside the console; no OIDC when absent or unreadable. */
export async function loadOidcSettings(): Promise<OidcSettings | null> {
  const response = await fetch("/ui/config.json", { cache: "no-store", credentials: "omit" }).catch(() => undefined);
  if (!response?.ok) return null;
  const body = (await response.json()) as { oidc?: OidcSettings | null };
  return body.oidc ?? null;
}

/** The page the authorization server sends the browser back to: the console itself. */
function redirectUri(): string {
  return `${location.origin}/ui/`;
}

/** The resource the token is for (RFC 8707): the configured one, else this gateway's /mcp. */
function resourceOf(settings: OidcSettings): string {
  return settings.resource ?? `${location.origin}/mcp`;
}

/** Plain http only for an issuer the operator configured as http (a loopback test issuer); https otherwise. */
function insecure(issuer: URL): { [oauth.allowInsecureRequests]?: boolean } {
  return issuer.protocol === "http:" ? { [oauth.allowInsecureRequests]: true } : {};
}

/** The issuer's metadata: RFC 8414 first, then OpenID Connect discovery; the issuer must name itself. */
async function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  try {
    const response = await oauth.discoveryRequest(issuer, { algorithm: "oauth2", ...insecure(issuer) });
    return await oauth.processDiscoveryResponse(issuer, response);
  } catch {
    const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...insecure(issuer) });
    return oauth.processDiscoveryResponse(issuer, response);
  }
}

/**
 * The scopes to ask for: the configured ones, and offline_access (a refresh token, for silent renewal) when the
 * config asks for it (console.oidcOfflineAccess, or among the scopes); then with prompt=consent, which OpenID Connect
 * Core §11 asks of a request for offline access. Never merely because the issuer offers it: an issuer may refuse
 * offline access to a client not allowed it, and the sign-in would fail.
 */
function scopesFor(settings: OidcSettings): { scope: string; prompt?: string } {
  const offline = settings.offlineAccess || settings.scopes.includes("offline_access");
  if (!offline) return { scope: settings.scopes.join(" ") };
  const scopes = [...settings.scopes.filter((scope) => scope !== "offline_access"), "offline_access"];
  return { scope: scopes.join(" "), prompt: "consent" };
}

/**
 * Starts authorization code + PKCE (S256): keeps state, verifier and `place` in sessionStorage, then leaves for the
 * issuer. The URL carries the standard parameters only.
 */
export async function beginOidcSignIn(settings: OidcSettings, place?: OidcPlace): Promise<void> {
  const issuer = new URL(settings.issuer);
  const as = await discover(issuer);
  if (!as.authorization_endpoint) throw new Error(`${settings.issuer} has no authorization_endpoint`);
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const pending: Pending = { issuer: settings.issuer, state, verifier, ...(place ? { place } : {}) };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", settings.clientId);
  url.searchParams.set("redirect_uri", redirectUri());
  const { scope, prompt } = scopesFor(settings);
  url.searchParams.set("scope", scope);
  if (prompt) url.searchParams.set("prompt", prompt);
  url.searchParams.set("state", state);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("resource", resourceOf(settings));
  location.assign(url.href);
}

function takePending(): Pending | undefined {
  const text = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  return text ? (JSON.parse(text) as Pending) : undefined;
}

/** True when this page load is the issuer's redirect back (a `state` with a `code` or an `error`). */
export function isOidcReturn(): boolean {
  const query = new URLSearchParams(location.search);
  return query.has("state") && (query.has("code") || query.has("error"));
}

/**
 * Finishes the sign-in on the issuer's redirect back: checks the state, exchanges the code (with the PKCE verifier)
 * at the token endpoint, and returns the tokens, to be held in memory only, and the place the sign-in started from.
 * The code and state are removed from the address bar first, whatever happens next.
 */
export async function completeOidcSignIn(settings: OidcSettings): Promise<{ tokens: OidcTokens; place?: OidcPlace }> {
  const current = new URL(location.href);
  history.replaceState(null, "", current.pathname);
  const pending = takePending();
  if (!pending || pending.issuer !== settings.issuer)
    throw new Error("no sign-in was started from this tab (or the issuer changed): sign in again");
  const issuer = new URL(settings.issuer);
  const as = await discover(issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  const params = oauth.validateAuthResponse(as, client, current, pending.state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    { additionalParameters: { resource: resourceOf(settings) }, ...insecure(issuer) },
  );
  const tokens = tokensOf(await oauth.processAuthorizationCodeResponse(as, client, response));
  return { tokens, ...(pending.place ? { place: pending.place } : {}) };
}

function tokensOf(response: oauth.TokenEndpointResponse, previous?: OidcTokens): OidcTokens {
  const { access_token: accessToken, expires_in: expiresIn } = response;
  // Rotation: a new refresh token replaces the old one; an issuer that does not rotate keeps the old one valid.
  const refreshToken = response.refresh_token ?? previous?.refreshToken;
  return {
    accessToken,
    ...(expiresIn === undefined ? {} : { expiresIn, expiresAt: Date.now() + expiresIn * 1000 }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
  };
}

/** Renews the tokens with the refresh_token grant (no user involved); throws when the issuer refuses it. */
export async function refreshOidcTokens(settings: OidcSettings, previous: OidcTokens): Promise<OidcTokens> {
  if (!previous.refreshToken) throw new Error("no refresh token was granted");
  const issuer = new URL(settings.issuer);
  const as = await discover(issuer);
  const client: oauth.Client = { client_id: settings.clientId };
  const response = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), previous.refreshToken, {
    additionalParameters: { resource: resourceOf(settings) },
    ...insecure(issuer),
  });
  return tokensOf(await oauth.processRefreshTokenResponse(as, client, response), previous);
}
