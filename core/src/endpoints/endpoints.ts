import type { GatewayConfig, ServerConfig } from "../config/schema";
import type { VirtualServerConfig } from "../config/virtual-server-schema";

/** The aggregated endpoint's path. */
export const AGGREGATE_PATH = "/mcp";

/**
 * One MCP endpoint of the gateway: the aggregated `/mcp` (every server, prefixed names), `/mcp/<server>` (one server
 * as the upstream names things), or a virtual server (a curated selection at its own path).
 */
export type Endpoint =
  | { kind: "aggregate"; path: typeof AGGREGATE_PATH }
  | { kind: "server"; path: string; server: string }
  | { kind: "virtual"; path: string; virtual: VirtualServerConfig };

/** The aggregated endpoint. */
export const AGGREGATE_ENDPOINT: Endpoint = Object.freeze({ kind: "aggregate", path: AGGREGATE_PATH });

// Per (frozen) config: a request only looks its path up.
const tables = new WeakMap<GatewayConfig, ReadonlyMap<string, Endpoint>>();

/** Every endpoint of `config` by its exact path (a Map: a path such as `/mcp/constructor` finds nothing inherited). */
export function endpointTable(config: GatewayConfig): ReadonlyMap<string, Endpoint> {
  let table = tables.get(config);
  if (!table) {
    const built = new Map<string, Endpoint>([[AGGREGATE_PATH, AGGREGATE_ENDPOINT]]);
    for (const server of config.servers) {
      const path = `${AGGREGATE_PATH}/${server.name}`;
      built.set(path, Object.freeze({ kind: "server", path, server: server.name }));
    }
    // Config validation keeps virtual paths apart from the others; should one ever meet another, the first stays.
    for (const virtual of config.virtualServers ?? []) {
      if (!built.has(virtual.path))
        built.set(virtual.path, Object.freeze({ kind: "virtual", path: virtual.path, virtual }));
    }
    table = built;
    tables.set(config, table);
  }
  return table;
}

/** A request target's path: everything before the first `?` (the query never selects an endpoint). */
export function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query < 0 ? target : target.slice(0, query);
}

/**
 * The endpoint a request target names, compared exactly as sent: no percent-decoding, no dot-segment or slash
 * merging, case-sensitive, no trailing slash. Any other spelling (`/mcp/%77eather`, `/mcp/weather/`, `/MCP/weather`,
 * `/mcp/a/../weather`) is no endpoint, as Envoy and the standalone server decide alike.
 */
export function resolveEndpoint(config: GatewayConfig, target: string): Endpoint | undefined {
  return endpointTable(config).get(pathOf(target));
}

/** True for a path under `/mcp/`: where endpoints other than the aggregated one live (exact or not). */
export function isUnderMcp(target: string): boolean {
  return pathOf(target).startsWith(`${AGGREGATE_PATH}/`);
}

/**
 * What a gateway session id is bound to besides its consumer: the endpoint that initialized it. The aggregated
 * endpoint adds nothing, so its sessions verify as before; any other adds its path after a NUL (no consumer name or
 * path contains one), so an id presented at another endpoint fails to verify.
 */
export function sessionBinding(owner: string, endpoint: Endpoint | undefined): string {
  return endpoint === undefined || endpoint.kind === "aggregate" ? owner : `${owner}\u0000${endpoint.path}`;
}

/**
 * The server as a call reaches it from `endpoint`: at `/mcp/<server>` resource URIs in its results (and errors and
 * notifications) stay as the upstream wrote them (no resource prefix), as that endpoint lists them; elsewhere as is.
 */
export function servedAt(server: ServerConfig, endpoint: Endpoint | undefined): ServerConfig {
  return endpoint?.kind === "server" ? { ...server, resourcePrefix: "" } : server;
}
