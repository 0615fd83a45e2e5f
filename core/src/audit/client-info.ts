import proxyaddr from "proxy-addr";
import { capText } from "../text-cap";
import { AUDIT_FIELD_MAX_CHARS } from "./audit-event";

/** Who is at the other end of a request, for the audit log: its address and the user agent it claims. */
export interface ClientInfo {
  /** IP address past trusted proxies; null when unknown. */
  address: string | null;
  /** The `user-agent` header (client-chosen, capped); null when absent. */
  userAgent: string | null;
}

type TrustFn = (address: string, hop: number) => boolean;

// Compiled once per (frozen) config list: the hot path only looks the function up.
const compiled = new WeakMap<readonly string[], TrustFn>();

/**
 * The trust function of a list of proxy addresses and CIDR ranges (proxy-addr's notation: `10.0.0.0/8`,
 * `2001:db8::/32`, a bare address, or `loopback`, `linklocal`, `uniquelocal`); throws a TypeError naming a bad entry.
 */
export function compileTrustedProxies(list: readonly string[]): TrustFn {
  let trust = compiled.get(list);
  if (!trust) {
    trust = proxyaddr.compile([...list]);
    compiled.set(list, trust);
  }
  return trust;
}

function resolve(peer: string, forwardedFor: string | undefined, trust: TrustFn): string {
  // proxy-addr reads only the socket's address and the x-forwarded-for header of what it is given.
  const request = { socket: { remoteAddress: peer }, headers: { "x-forwarded-for": forwardedFor } };
  return proxyaddr(request as unknown as Parameters<typeof proxyaddr>[0], trust);
}

function userAgentOf(headers: Readonly<Record<string, string>>): string | null {
  const agent = headers["user-agent"];
  return agent === undefined || agent === "" ? null : capText(agent, AUDIT_FIELD_MAX_CHARS);
}

function capAddress(address: string | undefined): string | null {
  return address === undefined || address === "" ? null : capText(address, AUDIT_FIELD_MAX_CHARS);
}

/**
 * The client of a request the gateway takes straight from a TCP peer (standalone): the standard right-to-left walk
 * of `x-forwarded-for` (proxy-addr), trusting only hops inside `trustedProxies`. With no trusted proxies the peer is
 * the client and any `x-forwarded-for` is ignored (a client may write anything there).
 */
export function edgeClient(
  peer: string | undefined,
  headers: Readonly<Record<string, string>>,
  trustedProxies: readonly string[],
): ClientInfo {
  // No trusted proxy: proxy-addr's walk stops at the peer at once (trusts no hop), so it is not run per request.
  const address =
    peer === undefined || trustedProxies.length === 0
      ? peer
      : resolve(peer, headers["x-forwarded-for"], compileTrustedProxies(trustedProxies));
  return { address: capAddress(address), userAgent: userAgentOf(headers) };
}

/**
 * Header by which the router tells the broker behind it the client's address (for the broker's audit events). Like
 * every `x-mcp-` header it is stripped from clients by the router and never sent to an upstream.
 */
export const CLIENT_ADDRESS_HEADER = "x-mcp-client-address";

// Envoy writes `1.2.3.4:5678` or `[2001:db8::1]:5678`; the port is of no use to an investigation of who called.
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) return bracketed[1] ?? address;
  const port = /^([^:]+):\d+$/.exec(address);
  return port?.[1] ?? address;
}

/**
 * The client of a request that came through the rendered Envoy, as the router sees it: Envoy's `source.address`
 * attribute (its TCP peer, or the address `envoy.xffTrustedHops` trusted proxies named in `x-forwarded-for`: the
 * address Envoy's access log shows). Not `x-forwarded-for` itself: for a loopback peer Envoy appends its own address.
 */
export function envoyClient(sourceAddress: string | undefined, headers: Readonly<Record<string, string>>): ClientInfo {
  const address = sourceAddress === undefined ? undefined : withoutPort(sourceAddress);
  return { address: capAddress(address), userAgent: userAgentOf(headers) };
}

/** The header carrying `caller`'s address from the router to the broker; empty when unknown. */
export function clientAddressHeader(caller: { client?: ClientInfo | undefined }): Record<string, string> {
  const address = caller.client?.address;
  return address ? { [CLIENT_ADDRESS_HEADER]: address } : {};
}

/** The client of a request the router passed on to the broker: the address the router set, the user agent as sent. */
export function routedClient(headers: Readonly<Record<string, string>>): ClientInfo {
  return { address: capAddress(headers[CLIENT_ADDRESS_HEADER]), userAgent: userAgentOf(headers) };
}
