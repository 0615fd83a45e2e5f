import { GatewayError, JsonRpcErrorCode, type JsonRpcId } from "../errors";
import type { AuthTarget, UpstreamCredentials } from "./upstream-credentials";

// A challenge longer than this is not relayed (it is the upstream's text; a client needs only its parameters).
const MAX_CHALLENGE_LENGTH = 1024;

/**
 * An upstream's `401` to a routed call as the client's JSON-RPC error naming the server. A passthrough server's
 * `WWW-Authenticate` challenge is relayed (the caller's own token was refused, the caller can act on it) with HTTP
 * 401; otherwise the token the gateway sent (its own, or the one it exchanged for the caller: `sent`, the call's
 * upstream credentials) was refused, that token alone is dropped (the next call needing it fetches a new one) and the
 * client gets a 502: it cannot fix the gateway's credentials. Undefined for any other status.
 */
export function upstreamRefusal(
  server: AuthTarget,
  status: number,
  headers: Readonly<Record<string, string>>,
  id: JsonRpcId,
  credentials: UpstreamCredentials | undefined,
  sent: Readonly<Record<string, string>> = {},
): GatewayError | undefined {
  if (status !== 401) return undefined;
  const challenge = headers["www-authenticate"];
  if (server.auth?.type === "passthrough") {
    const relayed =
      challenge !== undefined && challenge.length <= MAX_CHALLENGE_LENGTH && !/[\r\n\0]/.test(challenge)
        ? { "www-authenticate": challenge }
        : undefined;
    return new GatewayError(
      JsonRpcErrorCode.Unauthorized,
      `upstream "${server.name}" refused the caller's token (401)${relayed ? "; see WWW-Authenticate" : ""}`,
      { httpStatus: 401, id, ...(relayed ? { headers: relayed } : {}) },
    );
  }
  credentials?.invalidate(server, sent);
  const what = !server.auth
    ? "the call: it has no servers[].auth configured"
    : server.auth.type === "tokenExchange"
      ? "the token the gateway exchanged for the caller"
      : "the gateway's credentials for it";
  return new GatewayError(JsonRpcErrorCode.UpstreamUnavailable, `upstream "${server.name}" refused ${what} (401)`, {
    httpStatus: 502,
    id,
  });
}
