import { RouteTable, type HeaderMatcher, type RouteEntry, type VirtualHost } from "./route-table";
import {
  EnvoyConfigError,
  asList,
  asMap,
  childPath,
  optBool,
  optDurationMs,
  optList,
  optString,
  rejectUnknownKeys,
  reqMap,
  reqString,
  type YamlMap,
} from "./yaml-fields";

/** Envoy's route timeout when `timeout` is absent: a whole response, SSE included, must end within 15 s. */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;

/** A parsed `route_config`: the table and whether its clusters must exist at start-up. */
export interface RouteConfig {
  table: RouteTable;
  /** Envoy validates clusters of a static route_config unless `validate_clusters: false`. */
  validateClusters: boolean;
}

const STRING_MATCH_KINDS = ["exact", "prefix", "suffix", "contains"] as const;

function parseHeaderMatcher(value: unknown, path: string): HeaderMatcher {
  const map = asMap(value, path);
  rejectUnknownKeys(map, ["name", "string_match", "present_match"], path);
  const name = reqString(map, "name", path).toLowerCase();
  const present = optBool(map, "present_match", path);
  if (present !== undefined) return { name, kind: "present", value: present, ignoreCase: false };
  const where = childPath(path, "string_match");
  const stringMatch = reqMap(map, "string_match", path);
  rejectUnknownKeys(stringMatch, [...STRING_MATCH_KINDS, "ignore_case"], where);
  const kind = STRING_MATCH_KINDS.find((k) => stringMatch[k] !== undefined);
  if (!kind) throw new EnvoyConfigError(where, `one of ${STRING_MATCH_KINDS.join(", ")} is required`);
  const ignoreCase = optBool(stringMatch, "ignore_case", where) ?? false;
  return { name, kind, value: optString(stringMatch, kind, where) ?? "", ignoreCase };
}

function parseMatch(route: YamlMap, path: string): Pick<RouteEntry, "prefix" | "path" | "caseSensitive" | "headers"> {
  const where = childPath(path, "match");
  const match = reqMap(route, "match", path);
  rejectUnknownKeys(match, ["prefix", "path", "headers", "case_sensitive"], where);
  const prefix = optString(match, "prefix", where);
  const exactPath = optString(match, "path", where);
  if ((prefix === undefined) === (exactPath === undefined)) {
    throw new EnvoyConfigError(where, "exactly one of prefix or path is required");
  }
  return {
    prefix,
    path: exactPath,
    caseSensitive: optBool(match, "case_sensitive", where) ?? true,
    headers: optList(match, "headers", where).map((h, i) =>
      parseHeaderMatcher(h, childPath(childPath(where, "headers"), i)),
    ),
  };
}

function parseRoute(value: unknown, path: string): RouteEntry {
  const route = asMap(value, path);
  rejectUnknownKeys(route, ["name", "match", "route"], path);
  const where = childPath(path, "route");
  const action = reqMap(route, "route", path);
  const actionKeys = [
    "cluster",
    "timeout",
    "idle_timeout",
    "prefix_rewrite",
    "host_rewrite_literal",
    "auto_host_rewrite",
  ];
  rejectUnknownKeys(action, actionKeys, where);
  return {
    ...parseMatch(route, path),
    cluster: reqString(action, "cluster", where),
    timeoutMs: optDurationMs(action, "timeout", where) ?? DEFAULT_ROUTE_TIMEOUT_MS,
    prefixRewrite: optString(action, "prefix_rewrite", where),
    hostRewriteLiteral: optString(action, "host_rewrite_literal", where),
    autoHostRewrite: optBool(action, "auto_host_rewrite", where) ?? false,
  };
}

function parseVirtualHost(value: unknown, path: string): VirtualHost {
  const vhost = asMap(value, path);
  rejectUnknownKeys(vhost, ["name", "domains", "routes"], path);
  const domains = optList(vhost, "domains", path).map((d, i) => {
    if (typeof d !== "string")
      throw new EnvoyConfigError(childPath(childPath(path, "domains"), i), "expected a string");
    return d.toLowerCase();
  });
  if (domains.length === 0) throw new EnvoyConfigError(childPath(path, "domains"), "at least one domain is required");
  const routes = optList(vhost, "routes", path).map((r, i) => parseRoute(r, childPath(childPath(path, "routes"), i)));
  return { name: reqString(vhost, "name", path), domains, routes };
}

/** Parses an HCM's inline `route_config`; `rds` and unsupported matchers or actions are config errors. */
export function parseRouteConfig(hcm: YamlMap, path: string): RouteConfig {
  if (hcm.rds !== undefined)
    throw new EnvoyConfigError(childPath(path, "rds"), "only an inline route_config is supported");
  const where = childPath(path, "route_config");
  const routeConfig = reqMap(hcm, "route_config", path);
  rejectUnknownKeys(routeConfig, ["name", "virtual_hosts", "validate_clusters"], where);
  const vhostsPath = childPath(where, "virtual_hosts");
  const virtualHosts = asList(routeConfig.virtual_hosts ?? [], vhostsPath).map((v, i) =>
    parseVirtualHost(v, childPath(vhostsPath, i)),
  );
  return {
    table: new RouteTable(virtualHosts),
    validateClusters: optBool(routeConfig, "validate_clusters", where) ?? true,
  };
}
