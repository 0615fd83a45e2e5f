import { visibleLists, type AccessPolicy, type Catalog } from "@mcp-gateway/core";
import type { ServerCapabilities } from "@modelcontextprotocol/server";

/**
 * What the gateway offers one consumer on the 2026-07-28 path, the union of what it can really use: `tools`,
 * `prompts` and `resources` only when its policy lets it see at least one of them, `completions` when it sees a
 * prompt or a resource template (what `completion/complete` names). `listChanged` is true on each: the gateway
 * publishes catalog changes on listen streams. Resource `subscribe` when a server of a resource (or template) the
 * consumer sees offers subscriptions (`subscribable`): listen streams then get its resources' updates.
 * `logging` (deprecated on this revision, but what lets upstream log messages reach a request that asked for them
 * with `io.modelcontextprotocol/logLevel` in its `_meta`) whenever the consumer can use any upstream at all.
 */
export function consumerCapabilities(
  catalog: Catalog,
  policy: AccessPolicy,
  subscribable: (server: string) => boolean = () => false,
): ServerCapabilities {
  const lists = visibleLists(catalog, policy);
  const capabilities: ServerCapabilities = {};
  if (lists.tools.length > 0) capabilities.tools = { listChanged: true };
  if (lists.prompts.length > 0) capabilities.prompts = { listChanged: true };
  if (lists.resources.length > 0 || lists.resourceTemplates.length > 0) capabilities.resources = { listChanged: true };
  if (capabilities.resources && offersSubscriptions(catalog, lists, subscribable))
    capabilities.resources.subscribe = true;
  if (lists.prompts.length > 0 || lists.resourceTemplates.length > 0) capabilities.completions = {};
  if (Object.keys(capabilities).length > 0) capabilities.logging = {};
  return capabilities;
}

/** Whether a server owning a resource or template in `lists` offers resource subscriptions. */
function offersSubscriptions(
  catalog: Catalog,
  lists: ReturnType<typeof visibleLists>,
  subscribable: (server: string) => boolean,
): boolean {
  const uris = [...lists.resources.map((r) => r["uri"]), ...lists.resourceTemplates.map((t) => t["uriTemplate"])];
  return uris.some((uri) => {
    const server = typeof uri === "string" ? catalog.resolveResource(uri)?.server.name : undefined;
    return server !== undefined && subscribable(server);
  });
}
