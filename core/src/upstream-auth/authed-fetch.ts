import type { AuthTarget, UpstreamCredentials } from "./upstream-credentials";

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * A fetch for the SDK's transport that adds `server`'s gateway credentials to every request, fetched anew each
 * time so a refreshed token is used without reconnecting; undefined when the server has no `auth`.
 */
export function authedFetch(credentials: UpstreamCredentials | undefined, server: AuthTarget): Fetch | undefined {
  if (!credentials || !server.auth) return undefined;
  return async (url, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(await credentials.gatewayHeaders(server))) headers.set(name, value);
    return fetch(url, { ...init, headers });
  };
}

/** `{ fetch }` for a transport's options when `server` has `auth`, else `{}`. */
export function authedFetchOption(credentials: UpstreamCredentials | undefined, server: AuthTarget): { fetch?: Fetch } {
  const wrapped = authedFetch(credentials, server);
  return wrapped ? { fetch: wrapped } : {};
}
