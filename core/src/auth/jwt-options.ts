import type { JWK } from "jose";

/** The asymmetric JWS algorithms (RFC 7518 RS*, PS*, ES*, and EdDSA): never "none", never a shared-secret HS*. */
export const ASYMMETRIC_JWS_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

/** The asymmetric JWS algorithms the verifier accepts in its `algorithms` option (`Ed25519` as jose names it too). */
export const SUPPORTED_JWT_ALGORITHMS: readonly string[] = Object.freeze([...ASYMMETRIC_JWS_ALGORITHMS, "Ed25519"]);

/** Options for {@link JwtVerifier}. Exactly one of `jwksUrl` and `jwks` must be given. */
export interface JwtVerifierOptions {
  /** The `iss` every token must carry, exactly. */
  issuer: string;
  /** The `aud` (one of them) every token must carry; required, since a token minted for another resource must fail. */
  audience: string | string[];
  /** Where the issuer publishes its keys (http or https); fetched lazily, cached, refetched on an unknown `kid`. */
  jwksUrl?: string;
  /** A static key set, for issuers without a JWKS endpoint. Public keys only. */
  jwks?: { keys: JWK[] };
  /** Allowed `alg` values: asymmetric only (see {@link SUPPORTED_JWT_ALGORITHMS}). */
  algorithms: string[];
  /** Leeway for `exp` and `nbf` between our clock and the issuer's. Default 30. */
  clockSkewSeconds?: number;
  /** The claim naming the consumer (a plain top-level claim name). Default `sub`. */
  consumerClaim?: string;
  /** A claim listing the tools the token grants (array of strings or a space-separated string). */
  toolsClaim?: string;
  /** Longest time a fetched key set is used before it is fetched again. Default 10 minutes (jose's default). */
  jwksCacheMaxAgeMs?: number;
  /** Shortest time between two fetches, so tokens with made-up `kid`s cannot flood the issuer. Default 30 s. */
  jwksCooldownMs?: number;
  /** How long a key set fetch may take. Default 5 s. */
  jwksTimeoutMs?: number;
}

/** {@link JwtVerifierOptions} checked and with defaults applied. */
export interface ResolvedJwtOptions {
  readonly issuer: string;
  readonly audience: string | string[];
  readonly keySource: { readonly url: URL } | { readonly jwks: { keys: JWK[] } };
  readonly algorithms: readonly string[];
  readonly clockSkewSeconds: number;
  readonly consumerClaim: string;
  readonly toolsClaim: string | undefined;
  readonly jwksCacheMaxAgeMs: number | undefined;
  readonly jwksCooldownMs: number | undefined;
  readonly jwksTimeoutMs: number | undefined;
}

function fail(message: string): never {
  throw new Error(`JWT verifier: ${message}`);
}

function checkAlgorithms(algorithms: readonly string[]): void {
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail("algorithms must list at least one algorithm");
  for (const alg of algorithms) {
    if (typeof alg !== "string") fail("algorithms must be strings");
    if (alg.toLowerCase() === "none") fail('algorithm "none" (unsigned tokens) is never allowed');
    if (/^hs/i.test(alg)) {
      fail(`symmetric algorithm "${alg}" is not supported: it needs a shared secret; use an asymmetric one via JWKS`);
    }
    if (!SUPPORTED_JWT_ALGORITHMS.includes(alg)) {
      fail(`unsupported algorithm "${alg}" (supported: ${SUPPORTED_JWT_ALGORITHMS.join(", ")})`);
    }
  }
}

function checkAudience(audience: string | string[]): void {
  const list = Array.isArray(audience) ? audience : [audience];
  if (list.length === 0 || list.some((aud) => typeof aud !== "string" || aud === "")) {
    fail("audience must be a non-empty string or a non-empty list of them");
  }
}

/** Public keys only: a private or symmetric key in configuration is a leaked secret, not something to trust. */
function checkStaticKeys(jwks: { keys: JWK[] }): void {
  if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) fail("jwks must hold at least one key");
  for (const key of jwks.keys) {
    if (typeof key !== "object" || key === null) fail("jwks keys must be JWK objects");
    if (key.kty === "oct") fail("jwks must not contain symmetric (oct) keys");
    if (key.d !== undefined) fail("jwks must contain public keys only (a key has a private part)");
  }
}

function keySource(options: JwtVerifierOptions): ResolvedJwtOptions["keySource"] {
  if ((options.jwksUrl === undefined) === (options.jwks === undefined)) fail("give exactly one of jwksUrl and jwks");
  if (options.jwks !== undefined) {
    checkStaticKeys(options.jwks);
    return { jwks: options.jwks };
  }
  let url: URL;
  try {
    url = new URL(options.jwksUrl ?? "");
  } catch {
    return fail("jwksUrl is not a valid URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") fail("jwksUrl must be an http or https URL");
  return { url };
}

function optionalDuration(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && (!Number.isFinite(value) || value < 0)) fail(`${name} must be a non-negative number`);
  return value;
}

/** Checks verifier options and applies defaults; throws an Error naming the first problem. */
export function resolveJwtOptions(options: JwtVerifierOptions): ResolvedJwtOptions {
  if (typeof options.issuer !== "string" || options.issuer === "") fail("issuer must be a non-empty string");
  checkAudience(options.audience);
  checkAlgorithms(options.algorithms);
  const consumerClaim = options.consumerClaim ?? "sub";
  if (consumerClaim === "") fail("consumerClaim must not be empty");
  if (options.toolsClaim === "") fail("toolsClaim must not be empty");
  return Object.freeze({
    issuer: options.issuer,
    audience: options.audience,
    keySource: keySource(options),
    algorithms: Object.freeze([...options.algorithms]),
    clockSkewSeconds: optionalDuration("clockSkewSeconds", options.clockSkewSeconds) ?? 30,
    consumerClaim,
    toolsClaim: options.toolsClaim,
    jwksCacheMaxAgeMs: optionalDuration("jwksCacheMaxAgeMs", options.jwksCacheMaxAgeMs),
    jwksCooldownMs: optionalDuration("jwksCooldownMs", options.jwksCooldownMs),
    jwksTimeoutMs: optionalDuration("jwksTimeoutMs", options.jwksTimeoutMs),
  });
}
