import {
  seesServer,
  TASKS_EXTENSION,
  visibleLists,
  type AccessPolicy,
  type Catalog,
  type GatewayContext,
} from "@mcp-gateway/core";
import type { ServerCapabilities } from "@modelcontextprotocol/server";

/**
 * What the gateway offers one consumer on the 2026-07-28 path, the union of what it can really use: `tools`,
 * `prompts` and `resources` only when its policy lets it see at least one of them, `completions` when it sees a
 * prompt or a resource template (what `completion/complete` names). `listChanged` is true on each: the gateway
 * publishes catalog changes on listen streams. Resource `subscribe` when a server of a resource (or template) the
 * consumer sees offers subscriptions (`subscribable`): listen streams then get its resources' updates.
 * `logging` (deprecated on this revision, but what lets upstream log messages reach a request that asked for them
 * with `io.modelcontextprotocol/logLevel` in its `_meta`) whenever the consumer can use any upstream at all. The tasks
 * extension when `offersTasks` says one of the consumer's upstreams offers it (see {@link tasksOffered}).
 */
export function consumerCapabilities(
  catalog: Catalog,
  policy: AccessPolicy,
  subscribable: (server: string) => boolean = () => false,
  offersTasks = false,
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
  if (offersTasks) capabilities.extensions = { [TASKS_EXTENSION]: {} };
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

/**
 * Whether the tasks extension (SEP-2663) is routed end to end for this consumer: some 2026 upstream it may use
 * (allowed by its policy, something of it visible) advertised the extension in its `server/discover`. Tasks are
 * routed by the gateway's task ids (see core's modern/tasks); 2025 upstreams have no tasks and answer every call
 * synchronously, which the extension allows (the server decides).
 */
export function tasksOffered(context: GatewayContext, catalog: Catalog, policy: AccessPolicy): boolean {
  return context.config().servers.some((server) => {
    if (context.upstreams.generation(server.name) !== "2026") return false;
    const extensions = context.upstreams.discoverResult(server.name)?.capabilities.extensions;
    if (extensions === undefined || !Object.hasOwn(extensions, TASKS_EXTENSION)) return false;
    return policy.allowsServer(server.name) && seesServer(catalog, policy, server.name);
  });
}
