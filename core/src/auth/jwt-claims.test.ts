import type { JWTPayload } from "jose";
import { PROTOTYPE_KEYS } from "../own-keys";
import { AuthError } from "./auth-errors";
import { readConsumerClaim, readToolsClaim } from "./jwt-claims";

/** The AuthError `action` throws (fails the test when it throws nothing else). */
function thrown(action: () => unknown): AuthError {
  try {
    action();
  } catch (error: unknown) {
    if (error instanceof AuthError) return error;
    throw error;
  }
  throw new Error("expected an AuthError");
}

// Claim names come from the config and claims from the token (JSON): a claim the token lacks is absent, whatever its
// name, never a value inherited from Object.prototype.
describe("claims named after Object.prototype members", () => {
  const claims: JWTPayload = JSON.parse('{"sub": "alice"}') as JWTPayload;

  it.each(PROTOTYPE_KEYS)("reports a consumer claim %j the token lacks as missing", (claim) => {
    const error = thrown(() => readConsumerClaim(claims, claim));
    expect([error.reason, error.message]).toEqual(["missing-claim", `token has no "${claim}" claim`]);
  });

  it.each(PROTOTYPE_KEYS)("reads a tools claim %j the token lacks as absent (no narrowing)", (claim) => {
    expect(readToolsClaim(claims, claim)).toBeUndefined();
  });

  it("reads such claims when the token has them", () => {
    const own = JSON.parse('{"constructor": "bob", "__proto__": "a b"}') as JWTPayload;
    expect(readConsumerClaim(own, "constructor")).toBe("bob");
    expect(readToolsClaim(own, "__proto__")).toEqual(["a", "b"]);
  });
});
