import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { GatewayConfig } from "../config/schema";

/**
 * The header carrying the stdio bridge's credential on every request the gateway (or Envoy, after the router's header
 * mutation) sends to the bridge. An `x-mcp-*` name: a client-supplied copy is stripped on arrival in both modes.
 */
export const STDIO_BRIDGE_TOKEN_HEADER = "x-mcp-stdio-bridge-token";

/** Domain-separation label of the HMAC: the token authenticates nothing but bridge requests. */
const TOKEN_LABEL = "mcp-gateway stdio bridge token v1";

/**
 * The bridge's credential: HMAC-SHA256 of a fixed label under `sessions.secret` (router and broker in separate
 * processes derive the same one), or a random one for this process alone when no secret is configured.
 */
export function stdioBridgeToken(secret: string | undefined): string {
  const key = secret ?? randomBytes(32).toString("base64url");
  return createHmac("sha256", key).update(TOKEN_LABEL).digest("base64url");
}

/**
 * `config` with the bridge's token in every stdio server's upstream headers: the gateway's own requests (sessions,
 * lists, streams, health, DELETE, standalone forwarding) and Envoy's routed calls (router header mutations, never the
 * rendered Envoy config) carry it like any configured upstream header.
 */
export function withStdioBridgeToken(config: GatewayConfig, token: string): GatewayConfig {
  if (!config.servers.some((server) => server.command !== undefined)) return config;
  // Frozen like the loaded config: nothing downstream may change it.
  const servers = config.servers.map((server) =>
    server.command === undefined
      ? server
      : Object.freeze({
          ...server,
          headers: Object.freeze({ ...server.headers, [STDIO_BRIDGE_TOKEN_HEADER]: token }),
        }),
  );
  Object.freeze(servers);
  return Object.freeze({ ...config, servers });
}

/** Why a bridge request's presented token is refused (`missing`, `wrong`), or undefined when it is the bridge's. */
export function checkStdioBridgeToken(
  presented: string | string[] | undefined,
  token: string,
): "missing" | "wrong" | undefined {
  if (presented === undefined || presented === "") return "missing";
  if (typeof presented !== "string") return "wrong";
  // Digests first: equal lengths for timingSafeEqual, and no length leak.
  const digest = (value: string): Buffer => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(presented), digest(token)) ? undefined : "wrong";
}
