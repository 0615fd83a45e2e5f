import { decodeJwt } from "jose";
import type { RefreshTokenStore, UpstreamAuth } from "../config/upstream-auth-schema";
import { parseBearer } from "../auth/credentials";
import { GatewayError, JsonRpcErrorCode } from "../errors";
import { CachedToken } from "./cached-token";
import { tokenError } from "./token-endpoint";
import { clientCredentialsToken, ExchangedTokens, refreshTokenToken } from "./token-sources";
import { fileRefreshStore, redisRefreshStore, type RefreshStore } from "./refresh-store";
import { postgresRefreshStore } from "./postgres-refresh-store";

/** A server as credentials see it: its name and `auth` entry. */
export interface AuthTarget {
  name: string;
  auth?: UpstreamAuth | undefined;
}

/** One server's token sources: the gateway's own token (if any) and, per-consumer, the exchange cache. */
interface Sources {
  gateway: CachedToken | undefined;
  exchange: ExchangedTokens | undefined;
  /** The refresh-token store (oauth2RefreshToken), closed with the credentials. */
  store?: RefreshStore | undefined;
}

const NONE: Readonly<Record<string, string>> = Object.freeze({});

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/**
 * The bearer token in an `Authorization` header value, if it holds one: read exactly as authentication reads it, so
 * the token bound into the router's identity header is the one the broker finds.
 */
export function bearerTokenOf(authorization: string | undefined): string | undefined {
  return authorization === undefined ? undefined : parseBearer(authorization);
}

/**
 * The credentials the gateway sends to each upstream (`servers[].auth`). Token sources are kept per server name and
 * auth entry, so a reload that leaves a server's auth unchanged keeps its tokens. Tokens go only into the headers
 * this returns: never into errors, logs or status.
 */
export class UpstreamCredentials {
  private readonly sources = new Map<string, Sources>();

  /**
   * `splitDeployment`: a router and a broker in separate processes both refresh, so a refresh-token store must be
   * one they share (Redis): a file store is refused (a single-use token spent by both would lose the grant).
   */
  constructor(private readonly options: { splitDeployment?: boolean } = {}) {}

  /** The servers whose refresh-token store this deployment cannot share (see the constructor); [] when none. */
  unsharedStores(servers: readonly AuthTarget[]): string[] {
    if (!this.options.splitDeployment) return [];
    return servers.filter((s) => s.auth?.type === "oauth2RefreshToken" && "file" in s.auth.store).map((s) => s.name);
  }
  // Each config entry's key, computed once per (frozen) entry: the hot path does not serialize it on every call.
  private readonly keys = new WeakMap<UpstreamAuth, string>();

  /**
   * Headers for the gateway's own traffic to `server`: its client credentials or refresh-token token; in per-consumer
   * modes the optional `discovery` client's token (listing and health only: never a consumer's request), else none.
   */
  async gatewayHeaders(server: AuthTarget): Promise<Readonly<Record<string, string>>> {
    const gateway = this.sourcesOf(server)?.gateway;
    return gateway ? bearer(await gateway.get()) : NONE;
  }

  /**
   * Headers for one routed call on behalf of a caller: per-consumer modes use `callerToken` (the bearer token the
   * caller authenticated with; undefined for API keys), exchanged (tokenExchange) or forwarded after its audience
   * check (passthrough); the other modes send the gateway's own token.
   */
  async callHeaders(server: AuthTarget, callerToken: string | undefined): Promise<Readonly<Record<string, string>>> {
    const auth = server.auth;
    if (auth?.type === "tokenExchange") {
      const subject = requireCallerToken(server.name, callerToken, "exchanges the caller's JWT");
      return bearer(await (this.sourcesOf(server)?.exchange as ExchangedTokens).get(subject));
    }
    if (auth?.type === "passthrough") {
      const token = requireCallerToken(server.name, callerToken, "receives the caller's own token");
      checkAudience(server.name, token, auth.audience);
      return bearer(token);
    }
    return this.gatewayHeaders(server);
  }

  /**
   * Forgets the token of `server` the upstream refused (401), given the headers the refused request carried
   * (`sent`): the gateway's own token, or the one exchanged for that request's caller (other callers' exchanged
   * tokens stay: one consumer's refusal says nothing of theirs). The next request needing it fetches anew.
   */
  invalidate(server: AuthTarget, sent: Readonly<Record<string, string>>): void {
    const sources = this.sourcesOf(server);
    const refused = bearerTokenOf(sent["authorization"]);
    if (!sources || refused === undefined) return;
    if (sources.gateway?.holds(refused)) sources.gateway.invalidate();
    sources.exchange?.invalidate(refused);
  }

  /** Closes the refresh-token stores' connections. */
  async close(): Promise<void> {
    const stores = [...this.sources.values()].flatMap((sources) => (sources.store ? [sources.store] : []));
    this.sources.clear();
    await Promise.all(stores.map((store) => store.close()));
  }

  private sourcesOf(server: AuthTarget): Sources | undefined {
    const auth = server.auth;
    if (!auth) return undefined;
    let key = this.keys.get(auth);
    if (key === undefined) {
      key = `${server.name}\u0000${JSON.stringify(auth)}`;
      this.keys.set(auth, key);
    }
    let sources = this.sources.get(key);
    if (!sources) {
      sources = this.unsharedStores([server]).length > 0 ? unshared(server.name) : createSources(server.name, auth);
      // A reload that changes a server's auth replaces its entry; bounded by the servers and auth entries configured.
      for (const [old, replaced] of this.sources) {
        if (!old.startsWith(`${server.name}\u0000`)) continue;
        this.sources.delete(old);
        void replaced.store?.close();
      }
      this.sources.set(key, sources);
    }
    return sources;
  }
}

function createSources(server: string, auth: UpstreamAuth): Sources {
  switch (auth.type) {
    case "oauth2ClientCredentials":
      return { gateway: clientCredentialsToken(server, auth), exchange: undefined };
    case "oauth2RefreshToken": {
      const store = refreshStore(server, auth.store);
      return { gateway: refreshTokenToken(server, auth, store), exchange: undefined, store };
    }
    case "tokenExchange":
      return {
        gateway: auth.discovery ? clientCredentialsToken(server, auth.discovery) : undefined,
        exchange: new ExchangedTokens(server, auth),
      };
    case "passthrough":
      return {
        gateway: auth.discovery ? clientCredentialsToken(server, auth.discovery) : undefined,
        exchange: undefined,
      };
  }
}

/** The store `server`'s rotated refresh tokens are kept in; a shared store's key defaults to the server's name. */
function refreshStore(server: string, store: RefreshTokenStore): RefreshStore {
  const key = ("key" in store ? store.key : undefined) ?? `mcpgw:upstream-refresh:${server}`;
  if ("file" in store) return fileRefreshStore(store.file);
  return "redis" in store ? redisRefreshStore(store.redis, key) : postgresRefreshStore(store.postgres, key);
}

/** A server whose file store cannot be shared: every token request fails, naming the server and the fix. */
function unshared(server: string): Sources {
  const refuse = () =>
    Promise.reject(
      tokenError(
        server,
        "store.file cannot be shared by a router and a broker in separate processes; use store.redis or store.postgres",
      ),
    );
  return { gateway: new CachedToken(refuse, { skewMs: 0 }), exchange: undefined };
}

/** True for the per-consumer modes (tokenExchange, passthrough): a consumer's request to it carries its own token. */
export function isPerConsumer(server: AuthTarget): boolean {
  return server.auth?.type === "tokenExchange" || server.auth?.type === "passthrough";
}

/**
 * `server` with a consumer's upstream credentials ({@link UpstreamCredentials.callHeaders}) among its headers: the
 * target every request made on that consumer's behalf is sent to (initialize, calls, streams, bridged exchanges).
 */
export function withConsumerAuth<T extends AuthTarget & { headers: Record<string, string> }>(
  server: T,
  auth: Readonly<Record<string, string>>,
): T {
  return Object.keys(auth).length === 0 ? server : { ...server, headers: { ...server.headers, ...auth } };
}

/** True for a per-consumer server whose request `headers` carry no consumer credential (it must not be sent). */
export function lacksConsumerAuth(server: AuthTarget, headers: Readonly<Record<string, string>>): boolean {
  return isPerConsumer(server) && !Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
}

/**
 * Refuses a consumer's request to a per-consumer server that carries no credential of that consumer: the gateway's
 * `discovery` token is only for its own listing and health traffic, never for a consumer (a confused deputy).
 */
export function requireConsumerAuth(server: AuthTarget, headers: Readonly<Record<string, string>>): void {
  if (!lacksConsumerAuth(server, headers)) return;
  throw new GatewayError(
    JsonRpcErrorCode.Forbidden,
    `upstream "${server.name}" takes only the caller's own credentials (${server.auth?.type}): none could be obtained for this request, and the gateway's discovery credential never serves a consumer`,
    { httpStatus: 403 },
  );
}

function requireCallerToken(server: string, token: string | undefined, what: string): string {
  if (token !== undefined) return token;
  throw new GatewayError(
    JsonRpcErrorCode.Forbidden,
    `upstream "${server}" ${what}: authenticate with a bearer token (JWT) to call it`,
    { httpStatus: 403 },
  );
}

/** Passthrough forwards only a token minted for the server: its `aud` must name the configured audience. */
function checkAudience(server: string, token: string, audience: string): void {
  let aud: unknown;
  try {
    aud = decodeJwt(token).aud;
  } catch {
    aud = undefined;
  }
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud : [];
  if (audiences.includes(audience)) return;
  throw new GatewayError(
    JsonRpcErrorCode.Forbidden,
    `upstream "${server}" accepts only tokens for audience "${audience}": the caller's token is not for it (not forwarded)`,
    { httpStatus: 403 },
  );
}
