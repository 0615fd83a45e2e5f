import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { AuthError } from "./auth-errors";
import { readConsumerClaim, readToolsClaim } from "./jwt-claims";
import { jwtFailure, keySetFailure } from "./jwt-errors";
import { resolveJwtOptions, type JwtVerifierOptions, type ResolvedJwtOptions } from "./jwt-options";

/** What a valid token says about its bearer. */
export interface VerifiedJwt {
  /** The value of the consumer claim. */
  consumer: string;
  /** The tools the token grants, when the tools claim is configured and present. */
  tools?: readonly string[];
  /** All claims, verified. */
  claims: JWTPayload;
}

/** No issuer mints tokens this long; refusing them before any parsing bounds the work one request can cause. */
const MAX_TOKEN_LENGTH = 16 * 1024;

function keyResolver(options: ResolvedJwtOptions): JWTVerifyGetKey {
  const { keySource } = options;
  const resolve =
    "url" in keySource
      ? createRemoteJWKSet(keySource.url, {
          cacheMaxAge: options.jwksCacheMaxAgeMs,
          cooldownDuration: options.jwksCooldownMs,
          timeoutDuration: options.jwksTimeoutMs,
        })
      : createLocalJWKSet(keySource.jwks);
  // Failures while finding the key become AuthErrors here, where they can still be told apart from token errors.
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (error: unknown) {
      throw keySetFailure(error);
    }
  };
}

/**
 * Verifies JWT access tokens issued by one OAuth/OIDC issuer: signature (asymmetric algorithms only, keys from the
 * issuer's JWKS, refetched when a token names an unknown `kid` so key rotation just works), `iss`, `aud`, `exp`
 * (required), `nbf`, then reads the consumer and tools claims. Every failure is an {@link AuthError}.
 */
export class JwtVerifier {
  private readonly options: ResolvedJwtOptions;
  private readonly getKey: JWTVerifyGetKey;

  /** Throws an Error when the options are unsafe or incomplete (no algorithms, `none`, HS*, no key source). */
  constructor(options: JwtVerifierOptions) {
    this.options = resolveJwtOptions(options);
    try {
      this.getKey = keyResolver(this.options);
    } catch (error: unknown) {
      throw new Error("JWT verifier: jwks is not a valid JSON Web Key Set", { cause: error });
    }
  }

  /** Verifies a compact JWS token; rejects with an {@link AuthError} naming the reason. */
  async verify(token: string): Promise<VerifiedJwt> {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError("malformed-token", "token is malformed");
    }
    const { options } = this;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.getKey, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: [...options.algorithms],
        clockTolerance: options.clockSkewSeconds,
        requiredClaims: ["exp"],
      }));
    } catch (error: unknown) {
      throw jwtFailure(error);
    }
    const consumer = readConsumerClaim(claims, options.consumerClaim);
    const tools = options.toolsClaim === undefined ? undefined : readToolsClaim(claims, options.toolsClaim);
    return tools === undefined ? { consumer, claims } : { consumer, tools, claims };
  }
}
