import type { GatewayConfig } from "@mcp-gateway/core";

/** How the console signs in with the configured OIDC issuer (authorization code + PKCE, a public client). */
export interface ConsoleOidc {
  /** The first of `auth.resourceMetadata.authorizationServers`: its metadata is discovered from here. */
  issuer: string;
  clientId: string;
  /** `openid` and `auth.resourceMetadata.scopes`. */
  scopes: string[];
  /** `auth.resourceMetadata.resource` (RFC 8707 resource indicator), when set. */
  resource: string | null;
  /** `console.oidcOfflineAccess`: ask for `offline_access` (a refresh token for silent renewal). */
  offlineAccess: boolean;
}

/** What `/ui/config.json` tells the console: nothing secret, only where to sign in. */
export interface ConsoleSettings {
  oidc: ConsoleOidc | null;
}

/** The console's sign-in settings from `config` (OIDC only with console.oidcClientId and an authorization server). */
export function consoleSettings(config: GatewayConfig): ConsoleSettings {
  const clientId = config.console.oidcClientId;
  const auth = config.auth;
  const issuer = auth === "none" ? undefined : auth.resourceMetadata.authorizationServers[0];
  if (clientId === undefined || auth === "none" || issuer === undefined) return { oidc: null };
  const scopes = ["openid", ...(auth.resourceMetadata.scopes ?? []).filter((scope) => scope !== "openid")];
  const resource = auth.resourceMetadata.resource ?? null;
  return { oidc: { issuer, clientId, scopes, resource, offlineAccess: config.console.oidcOfflineAccess } };
}

const BASE_CSP = {
  "default-src": "'self'",
  "script-src": "'self'",
  "style-src": "'self'",
  "img-src": "'self' data: blob:",
  "media-src": "'self' data: blob:",
  "connect-src": "'self'",
  "object-src": "'none'",
  "base-uri": "'none'",
  "form-action": "'none'",
  "frame-ancestors": "'none'",
};

function serialize(policy: Record<string, string>): string {
  return Object.entries(policy)
    .map(([name, value]) => `${name} ${value}`)
    .join("; ");
}

/**
 * The console's Content-Security-Policy: its own scripts and styles only (no inline script or style, no eval),
 * fetches to this origin only (/mcp, /status), upstream images and audio only as data: or blob: media, never framed.
 */
export const CONSOLE_CSP = serialize(BASE_CSP);

/**
 * {@link CONSOLE_CSP} for `config`: with OIDC sign-in, connect-src also admits the issuer's origin (its metadata and
 * token endpoint are fetched from the page; the authorize step is a navigation, which connect-src does not govern).
 */
export function consoleCsp(config: GatewayConfig): string {
  const oidc = consoleSettings(config).oidc;
  if (!oidc) return CONSOLE_CSP;
  return serialize({ ...BASE_CSP, "connect-src": `'self' ${new URL(oidc.issuer).origin}` });
}
