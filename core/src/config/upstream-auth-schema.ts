import { z } from "zod";
import { ASYMMETRIC_JWS_ALGORITHMS } from "../auth/jwt-options";
import { duration, httpUrl } from "./fields";

// RFC 6749 §3.3 scope-token: printable ASCII without space, '"' or '\'.
const scope = z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, "expected an OAuth scope (no spaces or quotes)");

/** The JWS algorithms a client assertion may be signed with (asymmetric only: HS* would need the secret again). */
export const CLIENT_ASSERTION_ALGORITHMS = ASYMMETRIC_JWS_ALGORITHMS;

/**
 * private_key_jwt client authentication (RFC 7523 §2.2, OIDC Core §9): each token request carries a fresh assertion
 * signed with this key (a PKCS#8 PEM) instead of a client secret. The key is `privateKey` (normally `${env:NAME}`, as
 * `clientSecret` is) or read from `privateKeyFile` on each token request (so a rotated file needs no reload).
 */
const privateKeyJwt = z
  .object({
    method: z.literal("private_key_jwt"),
    privateKey: z.string().min(1).optional(),
    privateKeyFile: z.string().min(1).optional(),
    /** The `kid` header: which of the client's registered keys signed the assertion. */
    keyId: z.string().min(1).optional(),
    alg: z.enum(CLIENT_ASSERTION_ALGORITHMS).default("RS256"),
  })
  .strict()
  .refine((auth) => (auth.privateKey === undefined) !== (auth.privateKeyFile === undefined), {
    error: "set exactly one of privateKey and privateKeyFile",
  });

/**
 * The gateway as an OAuth client of one token endpoint: client_secret_basic with `clientSecret`, or `clientAuth`
 * (private_key_jwt); values may be `${env:NAME}`.
 */
const oauthClient = {
  tokenUrl: httpUrl,
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  clientAuth: privateKeyJwt.optional(),
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

/** One token endpoint client authentication: exactly one of `clientSecret` and `clientAuth`. */
function checkClientAuth(
  client: { clientSecret?: string | undefined; clientAuth?: unknown } | undefined,
  path: (string | number)[],
  ctx: z.RefinementCtx,
): void {
  if (client === undefined || (client.clientSecret === undefined) !== (client.clientAuth === undefined)) return;
  ctx.addIssue({ code: "custom", path, message: "set exactly one of clientSecret and clientAuth (private_key_jwt)" });
}

const authTypes = z.discriminatedUnion("type", [
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

/** Every way the gateway can authenticate to an upstream server (`servers[].auth`). */
export const upstreamAuthSchema = authTypes.superRefine((auth, ctx) => {
  if (auth.type !== "passthrough") checkClientAuth(auth, ["clientSecret"], ctx);
  if (auth.type === "tokenExchange" || auth.type === "passthrough") {
    checkClientAuth(auth.discovery, ["discovery", "clientSecret"], ctx);
  }
});

/** One server's validated upstream authentication. */
export type UpstreamAuth = z.output<typeof upstreamAuthSchema>;
/** The OAuth client part shared by the grant-based modes. */
export type OAuthClientConfig = z.output<typeof clientCredentialsAuth>;
/** How the gateway authenticates itself to a token endpoint with private_key_jwt. */
export type ClientAuthConfig = z.output<typeof privateKeyJwt>;
/** Where an `oauth2RefreshToken` server keeps its rotated refresh tokens. */
export type RefreshTokenStore = z.output<typeof refreshTokenStore>;
