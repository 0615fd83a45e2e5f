import type { Catalog, CatalogTarget } from "../catalog/catalog";
import type { AccessPolicy } from "./access-policy";

/** The four aggregated lists, as one consumer may see them. */
export interface VisibleLists {
  tools: readonly Record<string, unknown>[];
  prompts: readonly Record<string, unknown>[];
  resources: readonly Record<string, unknown>[];
  resourceTemplates: readonly Record<string, unknown>[];
}

// Per catalog (replaced whole on every change) and compiled policy: a list is filtered once, not per request.
const cache = new WeakMap<Catalog, WeakMap<AccessPolicy, VisibleLists>>();

function filter(
  items: readonly Record<string, unknown>[],
  key: "name" | "uri" | "uriTemplate",
  keep: (exposed: string) => boolean,
): readonly Record<string, unknown>[] {
  return items.filter((item) => {
    const exposed = item[key];
    return typeof exposed === "string" && keep(exposed);
  });
}

/** True when the consumer may see at least one tool, prompt, resource or template of `server`. */
export function seesServer(catalog: Catalog, policy: AccessPolicy, server: string): boolean {
  const lists = visibleLists(catalog, policy);
  const of = (target: { server: { name: string } } | undefined): boolean => target?.server.name === server;
  return (
    lists.tools.some((t) => of(catalog.resolveTool(String(t["name"])))) ||
    lists.prompts.some((p) => of(catalog.resolvePrompt(String(p["name"])))) ||
    lists.resources.some((r) => of(catalog.resolveResource(String(r["uri"])))) ||
    lists.resourceTemplates.some((r) => of(catalog.resolveResource(String(r["uriTemplate"]))))
  );
}

/**
 * What `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list` show a consumer: only what its
 * policy lets it use, so it never learns the names of tools it may not call.
 */
export function visibleLists(catalog: Catalog, policy: AccessPolicy): VisibleLists {
  let byPolicy = cache.get(catalog);
  if (!byPolicy) {
    byPolicy = new WeakMap();
    cache.set(catalog, byPolicy);
  }
  const cached = byPolicy.get(policy);
  if (cached) return cached;
  // Policies name targets as the aggregated endpoint does: another endpoint's names are looked up in that form.
  const allowed =
    (kind: "tool" | "prompt" | "resource", resolve: (name: string) => CatalogTarget | undefined) =>
    (name: string): boolean => {
      const target = resolve(name);
      // A template of several unprefixed servers resolves to none: judged by its name alone, as before endpoints.
      if (target === undefined) return policy.allows(kind, name, "");
      const canonical = catalog.canonicalName(kind, target, name);
      // Shadowed (its aggregated name is another server's): never listed, whatever that name's policy says.
      return canonical !== undefined && policy.allows(kind, canonical, target.server.name);
    };
  const resource = allowed("resource", (u) => catalog.resolveResource(u));
  const lists: VisibleLists = {
    tools: filter(
      catalog.listTools(),
      "name",
      allowed("tool", (n) => catalog.resolveTool(n)),
    ),
    prompts: filter(
      catalog.listPrompts(),
      "name",
      allowed("prompt", (n) => catalog.resolvePrompt(n)),
    ),
    resources: filter(catalog.listResources(), "uri", resource),
    resourceTemplates: filter(catalog.listResourceTemplates(), "uriTemplate", resource),
  };
  byPolicy.set(policy, lists);
  return lists;
}
