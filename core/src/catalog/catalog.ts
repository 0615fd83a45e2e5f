import type { ServerConfig } from "../config/schema";
import { nameFilter } from "./glob";

/** A JSON object as listed by an upstream (tool, prompt, resource), kept as sent apart from the fields we rewrite. */
export type ListedItem = Record<string, unknown> & { name: string };

/** What one upstream currently offers (already validated). */
export interface UpstreamListing {
  tools: readonly ListedItem[];
  prompts: readonly ListedItem[];
  resources: readonly (Record<string, unknown> & { uri: string })[];
}

/** Where an exposed name points. */
export interface CatalogTarget {
  server: ServerConfig;
  /** The upstream's own (unprefixed) name or URI. */
  name: string;
}

/** A problem found while building the catalog, e.g. two servers exposing the same tool name. */
export interface CatalogConflict {
  kind: "tool" | "prompt" | "resource";
  name: string;
  kept: string;
  dropped: string;
}

class Index {
  readonly targets = new Map<string, CatalogTarget>();
  readonly items: Record<string, unknown>[] = [];

  add(
    exposed: string,
    target: CatalogTarget,
    item: Record<string, unknown>,
    listed: boolean,
    kind: CatalogConflict["kind"],
    conflicts: CatalogConflict[],
  ): void {
    const taken = this.targets.get(exposed);
    if (taken) {
      conflicts.push({ kind, name: exposed, kept: taken.server.name, dropped: target.server.name });
      return;
    }
    this.targets.set(exposed, target);
    if (listed) this.items.push(item);
  }
}

/**
 * An immutable snapshot of everything the gateway exposes: upstream tools and prompts under their server's prefix,
 * resources by URI. Built whenever an upstream's listing changes, then swapped in whole, so lookups never lock.
 * Servers are taken in config order: on a name collision the earlier server keeps the name and the conflict is
 * reported.
 */
export class Catalog {
  private constructor(
    private readonly tools: Index,
    private readonly prompts: Index,
    private readonly resources: Index,
    /** Collisions found while building; each names both servers. */
    readonly conflicts: readonly CatalogConflict[],
  ) {}

  /** An empty catalog (no upstream ready yet). */
  static empty(): Catalog {
    return new Catalog(new Index(), new Index(), new Index(), []);
  }

  /**
   * Builds the catalog from each server's listing, in config order; servers without a listing are left out. Servers
   * not in `listed` (unhealthy right now) stay routable by their last known listing but are hidden from the lists:
   * health state lags reality, and a call that reaches a recovered upstream beats a false "unknown tool".
   */
  static build(
    servers: readonly ServerConfig[],
    listings: ReadonlyMap<string, UpstreamListing>,
    listed: ReadonlySet<string> = new Set(listings.keys()),
  ): Catalog {
    const tools = new Index();
    const prompts = new Index();
    const resources = new Index();
    const conflicts: CatalogConflict[] = [];
    for (const server of servers) {
      const listing = listings.get(server.name);
      if (!listing) continue;
      const allowed = nameFilter(server.tools);
      const visible = listed.has(server.name);
      for (const tool of listing.tools) {
        if (!allowed(tool.name)) continue;
        const exposed = server.prefix + tool.name;
        tools.add(exposed, { server, name: tool.name }, { ...tool, name: exposed }, visible, "tool", conflicts);
      }
      for (const prompt of listing.prompts) {
        const exposed = server.prefix + prompt.name;
        prompts.add(exposed, { server, name: prompt.name }, { ...prompt, name: exposed }, visible, "prompt", conflicts);
      }
      for (const resource of listing.resources) {
        resources.add(resource.uri, { server, name: resource.uri }, resource, visible, "resource", conflicts);
      }
    }
    return new Catalog(tools, prompts, resources, conflicts);
  }

  /** The upstream tool behind an exposed (prefixed) tool name. */
  resolveTool(exposedName: string): CatalogTarget | undefined {
    return this.tools.targets.get(exposedName);
  }

  /** The upstream prompt behind an exposed (prefixed) prompt name. */
  resolvePrompt(exposedName: string): CatalogTarget | undefined {
    return this.prompts.targets.get(exposedName);
  }

  /** The upstream serving a resource URI. */
  resolveResource(uri: string): CatalogTarget | undefined {
    return this.resources.targets.get(uri);
  }

  /** Every exposed tool, with prefixed names, in config order. */
  listTools(): readonly Record<string, unknown>[] {
    return this.tools.items;
  }

  /** Every exposed prompt, with prefixed names. */
  listPrompts(): readonly Record<string, unknown>[] {
    return this.prompts.items;
  }

  /** Every exposed resource. */
  listResources(): readonly Record<string, unknown>[] {
    return this.resources.items;
  }
}
