import { z } from "zod";
import { duration, httpUrl } from "./fields";

// RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'.
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "expected an OAuth scope (no spaces or quotes)");

/** The gateway as an OAuth client of one token endpoint (client_secret_basic); values may be `${env:NAME}`. */
const oauthClient = {
  tokenUrl: httpUrl,
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  scopes: z.array(scope).default([]),
  /** RFC 8693 `audience` parameter (token exchange) or the provider's own audience parameter. */
  audience: z.string().min(1).optional(),
  /** RFC 8707 resource indicator: the upstream the token is for. */
  resource: httpUrl.optional(),
  /** Refresh this long before expiry (at most half the token's lifetime). */
  refreshSkew: duration.default(30_000),
};

/** OAuth 2.0 client credentials: one gateway token for the server, refreshed before it expires. */
export const clientCredentialsAuth = z.object({ type: z.literal("oauth2ClientCredentials"), ...oauthClient }).strict();

/**
 * Where rotated refresh tokens are kept, so a restart uses the newest: a file (written atomically, mode 0600; one
 * gateway process), or a Redis key or a PostgreSQL row that replicas share (each refresh holds a lock on it, see
 * refresh-store.ts and postgres-refresh-store.ts).
 */
const refreshTokenStore = z.union([
  z.object({ file: z.string().min(1) }).strict(),
  z
    .object({
      redis: z.string().regex(/^rediss?:\/\/.+/, "expected a redis:// or rediss:// URL"),
      key: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      postgres: z.string().regex(/^postgres(ql)?:\/\/.+/, "expected a postgres:// or postgresql:// URL"),
      key: z.string().min(1).optional(),
    })
    .strict(),
]);

/** Per-consumer modes: the gateway's own listing and health traffic uses this (never a consumer's request), or none. */
const discovery = { discovery: clientCredentialsAuth.omit({ type: true }).strict().optional() };

/** Every way the gateway can authenticate to an upstream server (`servers[].auth`). */
export const upstreamAuthSchema = z.discriminatedUnion("type", [
  clientCredentialsAuth,
  z
    .object({
      type: z.literal("oauth2RefreshToken"),
      ...oauthClient,
      /** The first refresh token; once rotated, the one in the store wins. */
      refreshToken: z.string().min(1),
      store: refreshTokenStore,
    })
    .strict(),
  z.object({ type: z.literal("tokenExchange"), ...oauthClient, ...discovery }).strict(),
  z
    .object({
      type: z.literal("passthrough"),
      /** The `aud` the caller's token must carry for this server; other tokens are refused, never forwarded. */
      audience: z.string().min(1),
      ...discovery,
    })
    .strict(),
]);

/** One server's validated upstream authentication. */
export type UpstreamAuth = z.output<typeof upstreamAuthSchema>;
/** The OAuth client part shared by the grant-based modes. */
export type OAuthClientConfig = z.output<typeof clientCredentialsAuth>;
/** Where an `oauth2RefreshToken` server keeps its rotated refresh tokens. */
export type RefreshTokenStore = z.output<typeof refreshTokenStore>;
