import { capText, visibleLists, type AccessPolicy, type Catalog, type UpstreamStatus } from "@mcp-gateway/core";

/**
 * The gateway's own JSON-RPC method on `/mcp` listing the servers the caller's policy lets it use, with their health.
 * Namespaced so no MCP method can ever collide with it; it goes through the same authentication, Host/Origin checks
 * and session rules as `tools/list` (in Envoy mode through the router), unlike `/status`, which names every upstream.
 */
export const CONSUMER_SERVERS_METHOD = "mcpgateway/servers";

/** One server as a consumer sees it: no URL, counts of what its policy shows, the last error with addresses hidden. */
export interface ConsumerServer {
  name: string;
  state: UpstreamStatus["state"];
  /** The MCP generation detected at the last connect ("2025" or "2026"), null before the first. */
  generation: string | null;
  protocolVersion: string | null;
  tools: number;
  prompts: number;
  resources: number;
  lastError: string | null;
  lastCheckedAt: string | null;
}

// URLs and host:port pairs in an upstream error would tell a consumer where the gateway's upstreams live.
const ADDRESS_RE =
  /\b[a-z][a-z0-9+.-]*:\/\/\S+|\[[0-9a-f:.]+\](:\d+)?|\b\d{1,3}(\.\d{1,3}){3}(:\d+)?|\b[\w.-]+:\d{2,5}\b/gi;

function redactedError(error: string | undefined): string | null {
  return error === undefined ? null : capText(error.replace(ADDRESS_RE, "<address>"), 300);
}

/** Counts per server of the tools, prompts, resources and templates `policy` shows of `catalog`. */
function visibleCounts(catalog: Catalog, policy: AccessPolicy): Map<string, { t: number; p: number; r: number }> {
  const lists = visibleLists(catalog, policy);
  const counts = new Map<string, { t: number; p: number; r: number }>();
  const bump = (server: string | undefined, field: "t" | "p" | "r") => {
    if (server === undefined) return;
    const entry = counts.get(server) ?? { t: 0, p: 0, r: 0 };
    entry[field] += 1;
    counts.set(server, entry);
  };
  for (const tool of lists.tools) bump(catalog.resolveTool(String(tool["name"]))?.server.name, "t");
  for (const prompt of lists.prompts) bump(catalog.resolvePrompt(String(prompt["name"]))?.server.name, "p");
  for (const resource of lists.resources) bump(catalog.resolveResource(String(resource["uri"]))?.server.name, "r");
  for (const template of lists.resourceTemplates)
    bump(catalog.resolveResource(String(template["uriTemplate"]))?.server.name, "r");
  return counts;
}

/**
 * Whether a server with nothing listed (down, or not yet listed) is still the consumer's: its policy reaches the
 * server and admits names under its prefix (`<server>_…`), so a glob like `weather_*` keeps a down weather server in
 * view while a policy naming other servers' tools never shows it.
 */
function mayUse(policy: AccessPolicy, server: string): boolean {
  return (
    policy.allowsServer(server) &&
    (policy.allows("tool", `${server}_`, server) || policy.allows("prompt", `${server}_`, server))
  );
}

/**
 * The answer to {@link CONSUMER_SERVERS_METHOD}: the servers whose tools, prompts or resources `policy` shows in
 * `catalog` (the endpoint's own), plus, on the aggregated endpoint, those it may use that list nothing now; never a
 * server outside the policy.
 */
export function consumerServers(
  statuses: readonly UpstreamStatus[],
  catalog: Catalog,
  policy: AccessPolicy,
  aggregate: boolean,
): { servers: ConsumerServer[] } {
  const counts = visibleCounts(catalog, policy);
  const servers = statuses
    .filter((s) => counts.has(s.name) || (aggregate && mayUse(policy, s.name)))
    .map((s) => {
      const c = counts.get(s.name) ?? { t: 0, p: 0, r: 0 };
      return {
        name: s.name,
        state: s.state,
        generation: s.generation ?? null,
        protocolVersion: s.protocolVersion ?? null,
        tools: c.t,
        prompts: c.p,
        resources: c.r,
        lastError: redactedError(s.lastError),
        lastCheckedAt: s.lastCheckedAt ?? null,
      };
    });
  return { servers };
}
