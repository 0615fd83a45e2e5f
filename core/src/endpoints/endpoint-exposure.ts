import { AGGREGATE_EXPOSURE, type Exposure, type ServerExposure } from "../catalog/exposure";
import { globToRegExp, nameFilter } from "../catalog/glob";
import { resourcePrefixOf } from "../catalog/resource-uris";
import type { ServerConfig } from "../config/schema";
import type { NamedSelection, VirtualServerConfig } from "../config/virtual-server-schema";
import type { Endpoint } from "./endpoints";

type Item = Record<string, unknown> & { name: string };

/** `/mcp/<server>`: that server only, as the upstream names things (its tool filter still applies). */
function serverExposure(name: string): Exposure {
  return {
    aggregate: false,
    of(server: ServerConfig): ServerExposure | undefined {
      if (server.name !== name) return undefined;
      const allowed = nameFilter(server.tools);
      return {
        tool: (item) => (allowed(item.name) ? item : undefined),
        prompt: (item) => item,
        resourcePrefix: "",
        resource: () => true,
      };
    },
  };
}

/** A pick list compiled: the first pick matching an upstream name decides its exposed name and description. */
function picker(picks: readonly NamedSelection[]): (item: Item) => Item | undefined {
  const compiled = picks.map((pick) => ({ pick, re: globToRegExp(pick.name) }));
  return (item) => {
    const match = compiled.find(({ re }) => re.test(item.name))?.pick;
    if (match === undefined) return undefined;
    const renamed = match.as === undefined ? item : { ...item, name: match.as };
    return match.description === undefined ? renamed : { ...renamed, description: match.description };
  };
}

/**
 * A virtual server: the picked tools and prompts under their own names (or their `as`), the picked resources under
 * their aggregated URIs (several servers' URIs could otherwise collide). A server's own tool filter still applies.
 */
function virtualExposure(virtual: VirtualServerConfig): Exposure {
  return {
    aggregate: false,
    of(server: ServerConfig): ServerExposure | undefined {
      const mine = <T extends { server: string }>(picks: readonly T[]): T[] =>
        picks.filter((pick) => pick.server === server.name);
      const [tools, prompts, resources] = [mine(virtual.tools), mine(virtual.prompts), mine(virtual.resources)];
      if (tools.length + prompts.length + resources.length === 0) return undefined;
      const allowed = nameFilter(server.tools);
      const pickTool = picker(tools);
      const uris = resources.map((pick) => globToRegExp(pick.uri));
      return {
        tool: (item) => (allowed(item.name) ? pickTool(item) : undefined),
        prompt: picker(prompts),
        resourcePrefix: resourcePrefixOf(server),
        resource: (uri) => uris.some((re) => re.test(uri)),
      };
    },
  };
}

// One exposure per endpoint object (endpoints are built once per config).
const exposures = new WeakMap<Endpoint, Exposure>();

/** What `endpoint` exposes of each server (see {@link Exposure}). */
export function exposureOf(endpoint: Endpoint): Exposure {
  if (endpoint.kind === "aggregate") return AGGREGATE_EXPOSURE;
  let exposure = exposures.get(endpoint);
  if (!exposure) {
    exposure = endpoint.kind === "server" ? serverExposure(endpoint.server) : virtualExposure(endpoint.virtual);
    exposures.set(endpoint, exposure);
  }
  return exposure;
}
