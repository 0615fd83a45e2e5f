import { hashApiKey, sameKeyHash } from "./api-keys";
import { AuthError } from "./auth-errors";
import { readApiKey, readBearerToken } from "./credentials";
import type { Identity } from "./identity";
import type { JwtVerifier } from "./jwt-verifier";

/** What an API key store knows about a key. */
export interface ApiKeyRecord {
  consumer: string;
  policy: string;
  /**
   * The stored hash, when the store returns it: it is then compared with the presented key's hash in constant time,
   * so a store whose lookup matches loosely (a case-insensitive collation, a prefix index) cannot let a wrong key in.
   */
  keyHash?: string;
}

/** Options for {@link Authenticator}; configure API keys, JWTs or both. */
export interface AuthenticatorOptions {
  apiKeys?: {
    /** The header carrying the key (lower-case); `authorization` means `Authorization: Bearer <key>`. */
    header: string;
    /** Finds a key by its hash ({@link hashApiKey}); undefined when there is no such key. May throw if the store is down. */
    lookup: (keyHash: string) => Promise<ApiKeyRecord | undefined> | ApiKeyRecord | undefined;
  };
  jwt?: {
    verifier: JwtVerifier;
    /** The policy of a token's consumer; undefined when the consumer has none. */
    policyFor: (consumer: string) => string | undefined;
    /** The policy of consumers `policyFor` does not know; without it they are refused with reason `no-policy`. */
    defaultPolicy?: string;
  };
}

/** Three base64url segments, the last possibly empty (an unsigned token, which must reach the verifier to be refused). */
const JWT_SHAPE_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** True when a bearer value has the shape of a compact JWS (as opposed to an opaque API key). */
export function looksLikeJwt(value: string): boolean {
  return JWT_SHAPE_RE.test(value);
}

type JwtOptions = NonNullable<AuthenticatorOptions["jwt"]>;
type ApiKeyOptions = NonNullable<AuthenticatorOptions["apiKeys"]>;

async function identityFromJwt(jwt: JwtOptions, token: string, audience?: readonly string[]): Promise<Identity> {
  const verified = await jwt.verifier.verify(token, audience);
  const mapped = jwt.policyFor(verified.consumer);
  const policy = mapped ?? jwt.defaultPolicy;
  if (policy === undefined) throw new AuthError("no-policy", "the token's consumer has no policy");
  // A subject the config does not name is a consumer of its own, `jwt:<sub>`: it can never take the name (and so the
  // sessions and rate-limit buckets) of an API-key consumer, static or registered at runtime.
  const consumer = mapped === undefined ? `jwt:${verified.consumer}` : verified.consumer;
  const { tools } = verified;
  return tools === undefined ? { consumer, policy, method: "jwt" } : { consumer, policy, tools, method: "jwt" };
}

async function identityFromApiKey(apiKeys: ApiKeyOptions, key: string): Promise<Identity> {
  const keyHash = hashApiKey(key);
  const record = await apiKeys.lookup(keyHash);
  if (record === undefined || (record.keyHash !== undefined && !sameKeyHash(record.keyHash, keyHash))) {
    throw new AuthError("invalid-api-key", "API key is not valid");
  }
  return { consumer: record.consumer, policy: record.policy, method: "api-key" };
}

/**
 * Establishes who a request is from. A bearer value shaped like a JWT is verified as one when JWTs are configured (and
 * never falls back to API keys if it fails); otherwise the API key is read from its header, hashed and looked up.
 * Failures throw {@link AuthError}s; errors from the key store propagate unchanged (an outage is not a wrong key).
 */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {
    if (options.apiKeys === undefined && options.jwt === undefined) {
      throw new Error("authenticator needs apiKeys, jwt or both");
    }
  }

  /**
   * The identity the request's credentials establish. `audience`, when given, is what a JWT's `aud` must include at
   * the addressed endpoint (instead of the verifier's configured audience); API keys are not bound to endpoints.
   */
  async authenticate(headers: Readonly<Record<string, string>>, audience?: readonly string[]): Promise<Identity> {
    const { apiKeys, jwt } = this.options;
    const bearer = readBearerToken(headers);
    if (jwt !== undefined && bearer !== undefined && looksLikeJwt(bearer))
      return identityFromJwt(jwt, bearer, audience);
    const key = apiKeys === undefined ? undefined : readApiKey(headers, apiKeys.header);
    if (apiKeys !== undefined && key !== undefined) return identityFromApiKey(apiKeys, key);
    if (jwt !== undefined && bearer !== undefined) throw new AuthError("malformed-token", "bearer token is not a JWT");
    throw new AuthError("missing-credentials", `no credentials: expected ${this.expected()}`);
  }

  private expected(): string {
    const { apiKeys, jwt } = this.options;
    const names: string[] = [];
    if (jwt !== undefined) names.push("a bearer token");
    if (apiKeys !== undefined) names.push(`an API key in the ${apiKeys.header} header`);
    return names.join(" or ");
  }
}
