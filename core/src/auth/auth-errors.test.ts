import { AuthError, isAuthError } from "./auth-errors";

describe("AuthError", () => {
  it("carries its reason, name and cause", () => {
    const cause = new Error("connect ECONNREFUSED");
    const error = new AuthError("jwks-unavailable", "the issuer's keys could not be fetched or read", { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: "AuthError", reason: "jwks-unavailable", cause });
  });

  it("has no cause unless given one", () => {
    expect("cause" in new AuthError("expired", "token has expired")).toBe(false);
  });

  it.each([
    [new AuthError("expired", "x"), undefined, true],
    [new AuthError("expired", "x"), "expired", true],
    [new AuthError("expired", "x"), "revoked", false],
    [new Error("x"), undefined, false],
    ["expired", undefined, false],
  ] as const)("isAuthError(%p, %p) is %p", (error, reason, expected) => {
    expect(isAuthError(error, reason)).toBe(expected);
  });
});
