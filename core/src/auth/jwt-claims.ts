import type { JWTPayload } from "jose";
import { lookupOwn } from "../own-keys";
import { AuthError } from "./auth-errors";

/** The consumer a token names: the claim must be a non-empty string. */
export function readConsumerClaim(claims: JWTPayload, claim: string): string {
  const value = lookupOwn(claims, claim);
  if (value === undefined) throw new AuthError("missing-claim", `token has no "${claim}" claim`);
  if (typeof value !== "string" || value.trim() === "") {
    throw new AuthError("missing-claim", `token "${claim}" claim must be a non-empty string`);
  }
  return value;
}

/**
 * The tools a token grants: an array of strings or a space-separated string (like OAuth `scope`). Undefined when the
 * claim is absent, meaning the token does not narrow what the consumer's policy allows. Any other shape is refused
 * rather than read as "no restriction".
 */
export function readToolsClaim(claims: JWTPayload, claim: string): readonly string[] | undefined {
  const value = lookupOwn(claims, claim);
  if (value === undefined) return undefined;
  if (typeof value === "string") return Object.freeze(value.split(" ").filter((tool) => tool !== ""));
  if (Array.isArray(value) && value.every((tool): tool is string => typeof tool === "string" && tool !== "")) {
    return Object.freeze([...value]);
  }
  throw new AuthError(
    "malformed-token",
    `token "${claim}" claim must be a list of tool names or a space-separated string`,
  );
}
