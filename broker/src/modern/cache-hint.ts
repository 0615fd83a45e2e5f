import {
  visibleLists,
  type AccessPolicy,
  type Catalog,
  type GatewayConfig,
  type VisibleLists,
} from "@mcp-gateway/core";

/** The cache fields of a cacheable 2026-07-28 result (`ttlMs`, `cacheScope`). */
export interface ListCacheHint {
  ttlMs: number;
  cacheScope: "public" | "private";
}

/** Which aggregated list a hint is for. */
export type ListKind = keyof VisibleLists;

/** An upstream's own cache hint for one of its lists, when it gave one (2026-07-28 upstreams); undefined otherwise. */
export type UpstreamListHint = (server: string, kind: ListKind) => Partial<ListCacheHint> | undefined;

type Config = Pick<GatewayConfig, "auth" | "health">;

const ALL: Record<ListKind, (catalog: Catalog) => readonly Record<string, unknown>[]> = {
  tools: (catalog) => catalog.listTools(),
  prompts: (catalog) => catalog.listPrompts(),
  resources: (catalog) => catalog.listResources(),
  resourceTemplates: (catalog) => catalog.listResourceTemplates(),
};

/** The server behind each item of a list (by its exposed name or URI). */
function serverOf(catalog: Catalog, kind: ListKind, item: Record<string, unknown>): string | undefined {
  if (kind === "tools") return catalog.resolveTool(String(item["name"]))?.server.name;
  if (kind === "prompts") return catalog.resolvePrompt(String(item["name"]))?.server.name;
  const uri = kind === "resources" ? item["uri"] : item["uriTemplate"];
  return catalog.resolveResource(String(uri))?.server.name;
}

/**
 * The cache hint of one aggregated list as this consumer sees it. The rule:
 *
 * - `ttlMs` is the smallest of `health.interval` (how often the gateway re-checks a 2025-era upstream, whose lists
 *   carry no TTL; changes in between reach listen streams as list_changed) and the TTL each contributing upstream
 *   gave its own list (`upstreamHint`, 2026-07-28 upstreams).
 * - `cacheScope` is `public` only when the list is the same for every possible caller: `auth: none` (everyone is the
 *   same anonymous caller with every permission), this consumer's policy hid nothing from it, and no contributing
 *   upstream said `private`. With authentication any other consumer's policy may hide part of the list, and a
 *   `public` answer may be served from a shared cache to that consumer, so it is `private` (no cross-consumer leak of
 *   names a policy hides).
 */
export function listCacheHint(
  kind: ListKind,
  catalog: Catalog,
  policy: AccessPolicy,
  config: Config,
  upstreamHint: UpstreamListHint = () => undefined,
): ListCacheHint {
  const visible = visibleLists(catalog, policy)[kind];
  let ttlMs = config.health.interval;
  let isPrivate = config.auth !== "none" || visible.length !== ALL[kind](catalog).length;
  const servers = new Set<string>();
  for (const item of visible) {
    const server = serverOf(catalog, kind, item);
    if (server !== undefined) servers.add(server);
  }
  for (const server of servers) {
    const hint = upstreamHint(server, kind);
    if (hint?.ttlMs !== undefined && hint.ttlMs >= 0) ttlMs = Math.min(ttlMs, hint.ttlMs);
    if (hint?.cacheScope === "private") isPrivate = true;
  }
  return { ttlMs: Math.max(0, Math.floor(ttlMs)), cacheScope: isPrivate ? "private" : "public" };
}

/**
 * The cache hint of `server/discover`: its capabilities are this consumer's (what it may use), so it is `private`
 * unless everyone is the same anonymous caller (`auth: none`); fresh for `health.interval`, after which an upstream
 * may have come or gone.
 */
export function discoverCacheHint(config: Config): ListCacheHint {
  return { ttlMs: Math.max(0, config.health.interval), cacheScope: config.auth === "none" ? "public" : "private" };
}
