import type { Caller } from "../policy/admission";
import { bearerTokenOf } from "./upstream-credentials";

/** The bearer token a JWT caller authenticated with (what token exchange and passthrough use); else undefined. */
export function callerBearer(caller: Caller, headers: Readonly<Record<string, string>>): string | undefined {
  return caller.identity.method === "jwt" ? bearerTokenOf(headers["authorization"]) : undefined;
}

/**
 * A call's header decision with the upstream credentials set: they replace whatever the client sent under those
 * names (the client's own `Authorization` stays removed unless the server is a passthrough one, whose credentials
 * are the caller's checked token).
 */
export function withUpstreamAuth<T extends { setHeaders: Record<string, string>; removeHeaders: readonly string[] }>(
  call: T,
  auth: Readonly<Record<string, string>>,
): T {
  const names = Object.keys(auth);
  if (names.length === 0) return call;
  return {
    ...call,
    setHeaders: Object.assign(call.setHeaders, auth),
    removeHeaders: call.removeHeaders.filter((name) => !names.includes(name)),
  };
}
