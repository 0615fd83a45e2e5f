import { errors } from "jose";
import { lookupTable } from "../own-keys";
import { AuthError, type AuthFailureReason } from "./auth-errors";

/** What a failed check of one registered claim means. */
const CLAIM_REASONS = lookupTable<AuthFailureReason>({
  iss: "wrong-issuer",
  aud: "wrong-audience",
  nbf: "not-yet-valid",
  exp: "expired",
});

/** Messages are ours, not jose's, so the wording is stable and never echoes token content. */
const CLAIM_MESSAGES = lookupTable({
  iss: "token issuer is not the expected issuer",
  aud: "token audience does not include this resource",
  nbf: "token is not valid yet",
  exp: "token has expired",
});

/**
 * Claim errors carry the token's payload; they are not kept as the cause, so logging an AuthError never logs claims.
 */
function fromClaimError(error: errors.JWTClaimValidationFailed | errors.JWTExpired): AuthError {
  if (error.reason === "missing") return new AuthError("missing-claim", `token has no "${error.claim}" claim`);
  if (error.reason === "invalid") return new AuthError("malformed-token", `token "${error.claim}" claim is malformed`);
  const reason = CLAIM_REASONS[error.claim];
  const message = CLAIM_MESSAGES[error.claim];
  if (reason === undefined || message === undefined) {
    return new AuthError("malformed-token", `token "${error.claim}" claim check failed`);
  }
  return new AuthError(reason, message);
}

/** Turns anything `jwtVerify` threw into an {@link AuthError} with the right reason. */
export function jwtFailure(error: unknown): AuthError {
  if (error instanceof AuthError) return error;
  if (error instanceof errors.JWTExpired || error instanceof errors.JWTClaimValidationFailed) {
    return fromClaimError(error);
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthError("algorithm-not-allowed", "token algorithm is not allowed", { cause: error });
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthError("invalid-signature", "token signature is invalid", { cause: error });
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new AuthError("unknown-key", "no key of the issuer matches the token", { cause: error });
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthError("unknown-key", "several keys of the issuer match the token; it must name one by kid", {
      cause: error,
    });
  }
  return new AuthError("malformed-token", "token is malformed", { cause: error });
}

/** Errors from fetching or reading the key set: the issuer's fault (or the network's), not the token's. */
export function keySetFailure(error: unknown): AuthError {
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return jwtFailure(error);
  }
  const message =
    error instanceof errors.JWKSTimeout
      ? "fetching the issuer's keys timed out"
      : "the issuer's keys could not be fetched or read";
  return new AuthError("jwks-unavailable", message, { cause: error });
}
