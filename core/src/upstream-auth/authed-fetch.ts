import { isPerConsumer, requireConsumerAuth, type AuthTarget, type UpstreamCredentials } from "./upstream-credentials";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * Whose traffic a transport carries: the gateway's own listing and health (`discovery`), or a consumer's request
 * (`consumer`): to a per-consumer server the latter must already carry that consumer's credentials (`server.headers`,
 * see withConsumerAuth) and is refused without them, never sent with the discovery token.
 */
export type AuthPurpose = "discovery" | "consumer";

/**
 * A fetch for the SDK's transport that adds `server`'s gateway credentials to every request, fetched anew each
 * time so a refreshed token is used without reconnecting; undefined when the server has no `auth`.
 */
export function authedFetch(
  credentials: UpstreamCredentials | undefined,
  server: AuthTarget & { headers: Readonly<Record<string, string>> },
  purpose: AuthPurpose = "consumer",
): Fetch | undefined {
  if (!credentials || !server.auth) return undefined;
  if (purpose === "consumer" && isPerConsumer(server)) {
    requireConsumerAuth(server, server.headers);
    return undefined;
  }
  return async (url, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(await credentials.gatewayHeaders(server))) headers.set(name, value);
    return fetch(url, { ...init, headers });
  };
}

/** `{ fetch }` for a transport's options when `server` has `auth`, else `{}`. */
export function authedFetchOption(
  credentials: UpstreamCredentials | undefined,
  server: AuthTarget & { headers: Readonly<Record<string, string>> },
  purpose: AuthPurpose = "consumer",
): { fetch?: Fetch } {
  const wrapped = authedFetch(credentials, server, purpose);
  return wrapped ? { fetch: wrapped } : {};
}
