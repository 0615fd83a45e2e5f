/**
 * Why a request failed to authenticate. Each reason is safe to show a client: it names what was wrong, never the
 * credential itself.
 */
export type AuthFailureReason =
  | "missing-credentials"
  | "invalid-api-key"
  | "malformed-token"
  | "invalid-signature"
  | "expired"
  | "not-yet-valid"
  | "wrong-issuer"
  | "wrong-audience"
  | "algorithm-not-allowed"
  | "missing-claim"
  | "unknown-key"
  | "jwks-unavailable"
  | "revoked"
  | "no-policy";

/** Options for {@link AuthError}. */
export interface AuthErrorOptions {
  /** The underlying failure (a jose or network error); must not carry the credential either. */
  cause?: unknown;
}

/**
 * An authentication failure. The message names what was wrong ("token has expired") and must never contain the API
 * key or token, so it can be logged and returned to the client as is. Converted to a 401 (or 503 for
 * `jwks-unavailable`) with a `WWW-Authenticate` header only at the edge.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  /** The machine-readable reason. */
  readonly reason: AuthFailureReason;

  constructor(reason: AuthFailureReason, message: string, options: AuthErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

/** True when the error is an {@link AuthError} (optionally with the given reason). */
export function isAuthError(error: unknown, reason?: AuthFailureReason): error is AuthError {
  return error instanceof AuthError && (reason === undefined || error.reason === reason);
}
