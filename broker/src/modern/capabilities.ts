import { visibleLists, type AccessPolicy, type Catalog } from "@mcp-gateway/core";
import type { ServerCapabilities } from "@modelcontextprotocol/server";

/**
 * What the gateway offers one consumer on the 2026-07-28 path, the union of what it can really use: `tools`,
 * `prompts` and `resources` only when its policy lets it see at least one of them, `completions` when it sees a
 * prompt or a resource template (what `completion/complete` names). `listChanged` is true on each: the gateway
 * publishes catalog changes on listen streams. Resource `subscribe` is not offered: per-resource updates from
 * upstreams are not relayed to listen streams yet, so a `resourceSubscriptions` filter is honestly not acknowledged.
 * `logging` (deprecated on this revision, but what lets upstream log messages reach a request that asked for them
 * with `io.modelcontextprotocol/logLevel` in its `_meta`) whenever the consumer can use any upstream at all.
 */
export function consumerCapabilities(catalog: Catalog, policy: AccessPolicy): ServerCapabilities {
  const lists = visibleLists(catalog, policy);
  const capabilities: ServerCapabilities = {};
  if (lists.tools.length > 0) capabilities.tools = { listChanged: true };
  if (lists.prompts.length > 0) capabilities.prompts = { listChanged: true };
  if (lists.resources.length > 0 || lists.resourceTemplates.length > 0) capabilities.resources = { listChanged: true };
  if (lists.prompts.length > 0 || lists.resourceTemplates.length > 0) capabilities.completions = {};
  if (Object.keys(capabilities).length > 0) capabilities.logging = {};
  return capabilities;
}
