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

/** A wrong audience at an endpoint says which resource the endpoint accepts (public: its metadata names it too). */
function audienceFailure(error: AuthError, audience: readonly string[] | undefined): AuthError {
  if (error.reason !== "wrong-audience" || audience === undefined) return error;
  const expected = audience.join(" or ");
  return new AuthError("wrong-audience", `token audience does not include this endpoint's resource ${expected}`);
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

  /**
   * Verifies a compact JWS token; rejects with an {@link AuthError} naming the reason. `audience`, when given, replaces
   * the configured one for this token: the resource (one of them) the addressed endpoint accepts (RFC 8707). An empty
   * list accepts no token.
   */
  async verify(token: string, audience?: readonly string[]): Promise<VerifiedJwt> {
    if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) {
      throw new AuthError("malformed-token", "token is malformed");
    }
    if (audience !== undefined && audience.length === 0) {
      throw new AuthError("wrong-audience", "this endpoint accepts no token: no audience is configured for it");
    }
    const { options } = this;
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(token, this.getKey, {
        issuer: options.issuer,
        audience: audience === undefined ? options.audience : [...audience],
        algorithms: [...options.algorithms],
        clockTolerance: options.clockSkewSeconds,
        requiredClaims: ["exp"],
      }));
    } catch (error: unknown) {
      throw audienceFailure(jwtFailure(error), audience);
    }
    const consumer = readConsumerClaim(claims, options.consumerClaim);
    const tools = options.toolsClaim === undefined ? undefined : readToolsClaim(claims, options.toolsClaim);
    return tools === undefined ? { consumer, claims } : { consumer, tools, claims };
  }
}
