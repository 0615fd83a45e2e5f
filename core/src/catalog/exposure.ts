import type { ServerConfig } from "../config/schema";
import { nameFilter } from "./glob";
import { resourcePrefixOf } from "./resource-uris";

/** A listed tool or prompt as an upstream sent it. */
type Item = Record<string, unknown> & { name: string };

/** How one server's items appear at one endpoint. */
export interface ServerExposure {
  /** The tool as this endpoint lists it (its exposed `name`), or undefined when the endpoint leaves it out. */
  tool(item: Item): Item | undefined;
  /** The prompt as this endpoint lists it, or undefined when the endpoint leaves it out. */
  prompt(item: Item): Item | undefined;
  /** Put in front of the server's resource URIs at this endpoint ("" keeps them). */
  resourcePrefix: string;
  /** Whether this endpoint offers the resource (or template) with the upstream's own URI `uri`. */
  resource(uri: string): boolean;
}

/**
 * What an endpoint exposes of each server; undefined leaves the server out. `aggregate` is true only for the
 * aggregated endpoint, whose exposed names are the ones policies, rate limits and redaction rules are written for.
 */
export interface Exposure {
  readonly aggregate: boolean;
  of(server: ServerConfig): ServerExposure | undefined;
}

const prefixed =
  (prefix: string) =>
  (item: Item): Item =>
    prefix === "" ? item : { ...item, name: prefix + item.name };

/** The aggregated endpoint: every server, names under its prefix, URIs under its resource prefix, tool filters applied. */
export const AGGREGATE_EXPOSURE: Exposure = Object.freeze({
  aggregate: true,
  of(server: ServerConfig): ServerExposure {
    const allowed = nameFilter(server.tools);
    const rename = prefixed(server.prefix);
    return {
      tool: (item) => (allowed(item.name) ? rename(item) : undefined),
      prompt: rename,
      resourcePrefix: resourcePrefixOf(server),
      resource: () => true,
    };
  },
});
