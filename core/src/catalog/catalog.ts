import type { ServerConfig } from "../config/schema";
import { AGGREGATE_EXPOSURE, type Exposure, type ServerExposure } from "./exposure";
import { exposeResourceUri, resourcePrefixOf, splitExposedResourceUri } from "./resource-uris";

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
  /** `owner`: for another endpoint's index, the aggregated catalog, to leave shadowed items unlisted. */
  constructor(private readonly owner?: Catalog) {}

  readonly targets = new Map<string, CatalogTarget>();
  readonly items: Record<string, unknown>[] = [];
  /** Every routable item by its exposed name, listed or not (hidden while its server is unhealthy). */
  readonly definitions = new Map<string, Record<string, unknown>>();

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
    this.definitions.set(exposed, item);
    // Shadowed: routable only to be refused with a clear error, never listed (the aggregated conflict reports it).
    if (listed && (this.owner === undefined || canonicalOf(this.owner, kind, target) !== undefined))
      this.items.push(item);
  }
}

/** The four indexes of a catalog (tools, prompts, resources, templates). */
const indexes = (owner?: Catalog): [Index, Index, Index, Index] => [
  new Index(owner),
  new Index(owner),
  new Index(owner),
  new Index(owner),
];

const offersResources = (listing: UpstreamListing): boolean =>
  listing.resources.length > 0 || (listing.resourceTemplates?.length ?? 0) > 0;

/**
 * The servers offering resources under a non-empty resource prefix, by prefix. Config validation keeps resource
 * prefixes unique; should two ever meet, the earlier server keeps its own.
 */
function resourceOwners(
  exposures: ReadonlyMap<ServerConfig, ServerExposure>,
  listings: ReadonlyMap<string, UpstreamListing>,
): Map<string, ServerConfig> {
  const owners = new Map<string, ServerConfig>();
  for (const [server, { resourcePrefix: prefix }] of exposures) {
    const listing = listings.get(server.name);
    if (listing && prefix !== "" && offersResources(listing) && !owners.has(prefix)) owners.set(prefix, server);
  }
  return owners;
}

/** The server whose resource prefix an exposed URI (or template) carries, if any. */
function ownerOf(owners: ReadonlyMap<string, ServerConfig>, exposed: string): ServerConfig | undefined {
  const split = splitExposedResourceUri(exposed);
  return split === undefined ? undefined : owners.get(split.prefix);
}

/** Calls `add` with each item's own name and the item as `show` exposes it, for the items `show` keeps. */
function addShown(
  items: readonly ListedItem[],
  show: (item: ListedItem) => ListedItem | undefined,
  add: (name: string, item: ListedItem) => void,
): void {
  for (const item of items) {
    const shown = show(item);
    if (shown) add(item.name, shown);
  }
}

/** How `exposure` shows each server that has a listing, in config order; servers it leaves out are absent. */
function exposuresOf(
  servers: readonly ServerConfig[],
  listings: ReadonlyMap<string, UpstreamListing>,
  exposure: Exposure,
): Map<ServerConfig, ServerExposure> {
  const exposures = new Map<ServerConfig, ServerExposure>();
  for (const server of servers) {
    const exposed = listings.has(server.name) ? exposure.of(server) : undefined;
    if (exposed) exposures.set(server, exposed);
  }
  return exposures;
}

/** The catalog's own lookup of `kind`. */
function resolveIn(catalog: Catalog, kind: CatalogConflict["kind"], name: string): CatalogTarget | undefined {
  if (kind === "tool") return catalog.resolveTool(name);
  if (kind === "prompt") return catalog.resolvePrompt(name);
  return catalog.resolveResource(name);
}

/**
 * A target's aggregated name (`<prefix><name>`, a URI under its resource prefix) when the aggregated catalog `owner`
 * resolves that name to the same server and upstream name, or to none (nothing else is known by it); undefined when it
 * is another target's.
 */
function canonicalOf(owner: Catalog, kind: CatalogConflict["kind"], target: CatalogTarget): string | undefined {
  const name =
    kind === "resource" || kind === "template"
      ? exposeResourceUri(resourcePrefixOf(target.server), target.name)
      : target.server.prefix + target.name;
  const owned = resolveIn(owner, kind, name);
  return owned === undefined || (owned.server.name === target.server.name && owned.name === target.name)
    ? name
    : undefined;
}

/**
 * An immutable snapshot of everything the gateway exposes: upstream tools, prompts, resource URIs and URI templates,
 * each under its server's prefix (`weather_get_forecast`; resource URIs under its resource prefix,
 * `weather+weather://cities`, see {@link exposeResourceUri}; an empty prefix keeps them). Built whenever an upstream's
 * listing changes, then swapped in whole, so lookups never lock.
 * Servers are taken in config order: on a name collision the earlier server keeps the name and the conflict is
 * reported.
 */
export class Catalog {
  private constructor(
    private readonly tools: Index,
    private readonly prompts: Index,
    private readonly resources: Index,
    private readonly templates: Index,
    /** Servers that offer resources by their non-empty resource prefix, for URIs not listed (read through a template). */
    private readonly resourceServers: ReadonlyMap<string, ServerConfig>,
    /** Servers that offer resources without a resource prefix. */
    private readonly unprefixedResourceServers: readonly ServerConfig[],
    /** Collisions found while building; each names both servers. */
    readonly conflicts: readonly CatalogConflict[],
    /** Which resources (by upstream URI) each server offers here, for URIs not listed. */
    private readonly resourceFilters: ReadonlyMap<string, (uri: string) => boolean> = new Map(),
    /** True for the aggregated endpoint's catalog: its exposed names are the canonical ones. */
    private readonly aggregate = true,
    /** For another endpoint's catalog: the aggregated catalog of the same listings, which owns the canonical names. */
    private readonly canonical?: Catalog,
  ) {}

  /** An empty catalog (no upstream ready yet). */
  static empty(): Catalog {
    return new Catalog(...indexes(), new Map(), [], []);
  }

  /**
   * Builds the catalog from each server's listing, in config order; servers without a listing are left out. Servers
   * not in `listed` (unhealthy right now) stay routable by their last known listing but are hidden from the lists:
   * health state lags reality, and a call that reaches a recovered upstream beats a false "unknown tool".
   * Another endpoint's catalog checks its names against `canonical`, the aggregated catalog of the same listings
   * (built here when not given): an item whose aggregated name is another server's is shadowed (see
   * {@link canonicalName}), so it is never listed.
   */
  static build(
    servers: readonly ServerConfig[],
    listings: ReadonlyMap<string, UpstreamListing>,
    listed: ReadonlySet<string> = new Set(listings.keys()),
    exposure: Exposure = AGGREGATE_EXPOSURE,
    canonical?: Catalog,
  ): Catalog {
    const owner = exposure.aggregate ? undefined : (canonical ?? Catalog.build(servers, listings, listed));
    const [tools, prompts, resources, templates] = indexes(owner);
    const conflicts: CatalogConflict[] = [];
    const exposures = exposuresOf(servers, listings, exposure);
    const resourceServers = resourceOwners(exposures, listings);
    const unprefixedResourceServers: ServerConfig[] = [];
    const resourceFilters = new Map<string, (uri: string) => boolean>();
    for (const [server, shown] of exposures) {
      const listing = listings.get(server.name) as UpstreamListing;
      const visible = listed.has(server.name);
      const add = (
        index: Index,
        kind: CatalogConflict["kind"],
        original: string,
        exposed: string,
        item: object,
      ): void =>
        index.add(exposed, { server, name: original }, item as Record<string, unknown>, visible, kind, conflicts);
      addShown(listing.tools, shown.tool, (name, item) => add(tools, "tool", name, item.name, item));
      addShown(listing.prompts, shown.prompt, (name, item) => add(prompts, "prompt", name, item.name, item));
      const resourcePrefix = shown.resourcePrefix;
      resourceFilters.set(server.name, shown.resource);
      // A URI under another server's resource prefix is that server's, whatever the order (its prefix wins): an
      // unprefixed server listing one would capture reads meant for the prefix's owner.
      const owned = (kind: "resource" | "template", exposed: string): boolean => {
        const owner = resourcePrefix === "" ? ownerOf(resourceServers, exposed) : undefined;
        if (owner === undefined || owner === server) return false;
        conflicts.push({ kind, name: exposed, kept: owner.name, dropped: server.name });
        return true;
      };
      for (const resource of listing.resources) {
        const exposed = exposeResourceUri(resourcePrefix, resource.uri);
        if (shown.resource(resource.uri) && !owned("resource", exposed))
          add(resources, "resource", resource.uri, exposed, { ...resource, uri: exposed });
      }
      for (const template of listing.resourceTemplates ?? []) {
        const exposed = exposeResourceUri(resourcePrefix, template.uriTemplate);
        if (shown.resource(template.uriTemplate) && !owned("template", exposed))
          add(templates, "template", template.uriTemplate, exposed, { ...template, uriTemplate: exposed });
      }
      if (resourcePrefix === "" && offersResources(listing)) unprefixedResourceServers.push(server);
    }
    return new Catalog(
      tools,
      prompts,
      resources,
      templates,
      resourceServers,
      unprefixedResourceServers,
      conflicts,
      resourceFilters,
      exposure.aggregate,
      owner,
    );
  }

  /**
   * The name policies, rate limits, redaction rules and audit events know a target by: its name at the aggregated
   * endpoint (`<prefix><name>`, a URI under the server's resource prefix), whatever the endpoint it was named at, so
   * a consumer's permissions are the same at every endpoint. At the aggregated endpoint, the name as the client sent it.
   * Undefined when the aggregated endpoint gives that name to another target (a name collision across servers): the
   * target is shadowed, and must be refused, not judged by another server's name.
   */
  canonicalName(kind: "tool" | "prompt" | "resource", target: CatalogTarget, named: string): string | undefined {
    if (this.aggregate || this.canonical === undefined) return named;
    return canonicalOf(this.canonical, kind, target);
  }

  /** The upstream tool behind an exposed (prefixed) tool name. */
  resolveTool(exposedName: string): CatalogTarget | undefined {
    return this.tools.targets.get(exposedName);
  }

  /**
   * The definition of an exposed tool as the gateway lists it (prefixed name, the upstream's `inputSchema`), also
   * while its server is hidden from the lists: a call can still reach it, so what checks the call needs it.
   */
  toolDefinition(exposedName: string): Readonly<Record<string, unknown>> | undefined {
    return this.tools.definitions.get(exposedName);
  }

  /** The upstream prompt behind an exposed (prefixed) prompt name. */
  resolvePrompt(exposedName: string): CatalogTarget | undefined {
    return this.prompts.targets.get(exposedName);
  }

  /**
   * The upstream serving an exposed resource URI: a listed resource by its exposed URI, else (a URI built from a
   * template, or one not listed) the server whose resource prefix is the URI's scheme up to its first `+` (compared
   * case-insensitively, as schemes are), else the only resource server without a resource prefix.
   */
  resolveResource(exposedUri: string): CatalogTarget | undefined {
    const listed = this.resources.targets.get(exposedUri);
    if (listed) return listed;
    const split = splitExposedResourceUri(exposedUri);
    const prefixed = split && this.resourceServers.get(split.prefix);
    const unprefixed = this.unprefixedResourceServers;
    const target =
      split && prefixed
        ? { server: prefixed, name: split.uri }
        : unprefixed.length === 1 && unprefixed[0]
          ? { server: unprefixed[0], name: exposedUri }
          : undefined;
    // An endpoint offering only some of a server's resources serves no other URI of it, listed or not.
    return target && this.resourceFilters.get(target.server.name)?.(target.name) !== false ? target : undefined;
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
