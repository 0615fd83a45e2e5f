import type { ServerConfig } from "../config/schema";
import { nameFilter } from "./glob";

/** A JSON object as listed by an upstream (tool, prompt, resource), kept as sent apart from the fields we rewrite. */
export type ListedItem = Record<string, unknown> & { name: string };

/** A listed resource. */
export type ListedResource = Record<string, unknown> & { uri: string };

/** A listed resource template. */
export type ListedTemplate = Record<string, unknown> & { uriTemplate: string };

/** What one upstream currently offers (already validated). */
export interface UpstreamListing {
  tools: readonly ListedItem[];
  prompts: readonly ListedItem[];
  resources: readonly ListedResource[];
  resourceTemplates?: readonly ListedTemplate[];
}

/** Where an exposed name points. */
export interface CatalogTarget {
  server: ServerConfig;
  /** The upstream's own (unprefixed) name or URI. */
  name: string;
}

/** A problem found while building the catalog, e.g. two servers exposing the same tool name. */
export interface CatalogConflict {
  kind: "tool" | "prompt" | "resource" | "template";
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
 * An immutable snapshot of everything the gateway exposes: upstream tools, prompts, resource URIs and URI templates,
 * each under its server's prefix (`weather_get_forecast`, `weather_weather://cities`; an empty prefix keeps them). Built whenever an upstream's listing changes, then swapped in whole, so lookups never lock.
 * Servers are taken in config order: on a name collision the earlier server keeps the name and the conflict is
 * reported.
 */
export class Catalog {
  private constructor(
    private readonly tools: Index,
    private readonly prompts: Index,
    private readonly resources: Index,
    private readonly templates: Index,
    /** Servers that offer resources, for URIs that are not listed (read through a template): non-empty prefixes first. */
    private readonly resourceServers: readonly ServerConfig[],
    /** Collisions found while building; each names both servers. */
    readonly conflicts: readonly CatalogConflict[],
  ) {}

  /** An empty catalog (no upstream ready yet). */
  static empty(): Catalog {
    return new Catalog(new Index(), new Index(), new Index(), new Index(), [], []);
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
    const [tools, prompts, resources, templates] = [new Index(), new Index(), new Index(), new Index()];
    const conflicts: CatalogConflict[] = [];
    const resourceServers: ServerConfig[] = [];
    for (const server of servers) {
      const listing = listings.get(server.name);
      if (!listing) continue;
      const allowed = nameFilter(server.tools);
      const visible = listed.has(server.name);
      const add = (
        index: Index,
        kind: CatalogConflict["kind"],
        original: string,
        exposed: string,
        item: object,
      ): void =>
        index.add(exposed, { server, name: original }, item as Record<string, unknown>, visible, kind, conflicts);
      for (const tool of listing.tools) {
        if (allowed(tool.name))
          add(tools, "tool", tool.name, server.prefix + tool.name, { ...tool, name: server.prefix + tool.name });
      }
      for (const prompt of listing.prompts) {
        add(prompts, "prompt", prompt.name, server.prefix + prompt.name, {
          ...prompt,
          name: server.prefix + prompt.name,
        });
      }
      for (const resource of listing.resources) {
        add(resources, "resource", resource.uri, server.prefix + resource.uri, {
          ...resource,
          uri: server.prefix + resource.uri,
        });
      }
      for (const template of listing.resourceTemplates ?? []) {
        const exposed = server.prefix + template.uriTemplate;
        add(templates, "template", template.uriTemplate, exposed, { ...template, uriTemplate: exposed });
      }
      if (listing.resources.length > 0 || (listing.resourceTemplates?.length ?? 0) > 0) resourceServers.push(server);
    }
    resourceServers.sort((a, b) => b.prefix.length - a.prefix.length);
    return new Catalog(tools, prompts, resources, templates, resourceServers, conflicts);
  }

  /** The upstream tool behind an exposed (prefixed) tool name. */
  resolveTool(exposedName: string): CatalogTarget | undefined {
    return this.tools.targets.get(exposedName);
  }

  /** The upstream prompt behind an exposed (prefixed) prompt name. */
  resolvePrompt(exposedName: string): CatalogTarget | undefined {
    return this.prompts.targets.get(exposedName);
  }

  /**
   * The upstream serving an exposed resource URI: a listed resource by its exposed URI, else (a URI built from a
   * template, or one not listed) the server whose non-empty prefix starts the URI, else the only resource server
   * without a prefix. Prefixes never shadow each other (config validation), so at most one prefix matches.
   */
  resolveResource(exposedUri: string): CatalogTarget | undefined {
    const listed = this.resources.targets.get(exposedUri);
    if (listed) return listed;
    const prefixed = this.resourceServers.find((s) => s.prefix !== "" && exposedUri.startsWith(s.prefix));
    if (prefixed) return { server: prefixed, name: exposedUri.slice(prefixed.prefix.length) };
    const unprefixed = this.resourceServers.filter((s) => s.prefix === "");
    return unprefixed.length === 1 && unprefixed[0] ? { server: unprefixed[0], name: exposedUri } : undefined;
  }

  /** Every exposed tool, with prefixed names, in config order. */
  listTools(): readonly Record<string, unknown>[] {
    return this.tools.items;
  }

  /** Every exposed prompt, with prefixed names. */
  listPrompts(): readonly Record<string, unknown>[] {
    return this.prompts.items;
  }

  /** Every exposed resource, with prefixed URIs. */
  listResources(): readonly Record<string, unknown>[] {
    return this.resources.items;
  }

  /** Every exposed resource template, with prefixed URI templates. */
  listResourceTemplates(): readonly Record<string, unknown>[] {
    return this.templates.items;
  }
}
