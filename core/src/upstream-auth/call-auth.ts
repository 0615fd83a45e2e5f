import type { Caller } from "../policy/admission";
import { bearerTokenOf, isPerConsumer, withConsumerAuth, type UpstreamCredentials } from "./upstream-credentials";
import type { AuthTarget } from "./upstream-credentials";

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

/**
 * The upstream credentials of one request to `server` made on behalf of the caller whose bearer token is
 * `callerToken` (see {@link callerBearer}): per-consumer modes the caller's own (exchanged, or forwarded after the
 * audience check; throws a 403 naming the server when there is none), the others the gateway's (sent by the
 * transport itself: {} here). Never the discovery token.
 */
export async function consumerAuth(
  credentials: UpstreamCredentials | undefined,
  server: AuthTarget,
  callerToken: string | undefined,
): Promise<Readonly<Record<string, string>>> {
  if (!credentials || !isPerConsumer(server)) return {};
  return credentials.callHeaders(server, callerToken);
}

/**
 * `servers` as targets of requests made on one caller's behalf (a fan-out, a DELETE): each per-consumer server with
 * the caller's own credentials. One for which none can be had is left without them: sending to it is then refused
 * (see requireConsumerAuth), never made with the discovery token.
 */
export async function consumerTargets<T extends AuthTarget & { headers: Record<string, string> }>(
  credentials: UpstreamCredentials | undefined,
  servers: readonly T[],
  callerToken: string | undefined,
): Promise<T[]> {
  return Promise.all(
    servers.map(async (server) => {
      const auth = await consumerAuth(credentials, server, callerToken).catch(() => ({}));
      return withConsumerAuth(server, auth);
    }),
  );
}
