import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { parseExtProcFilter, type ExtProcSettings } from "./ext-proc-config";
import { parseRouteConfig } from "./route-config";
import type { RouteTable } from "./route-table";
import {
  EnvoyConfigError,
  asList,
  asMap,
  childPath,
  optInteger,
  optList,
  optMap,
  optString,
  reqMap,
  reqString,
  type YamlMap,
} from "./yaml-fields";

/** An upstream cluster reduced to what the harness needs: one endpoint, plain or TLS. */
export interface Cluster {
  name: string;
  address: string;
  port: number;
  tls: boolean;
  sni?: string;
}

/** The parts of an Envoy v3 bootstrap the harness emulates. */
export interface EnvoyConfig {
  /** The listener's `per_connection_buffer_limit_bytes` (default 1 MiB): a bigger buffered body gets 413. */
  bufferLimitBytes: number;
  routes: RouteTable;
  clusters: ReadonlyMap<string, Cluster>;
  extProc: ExtProcSettings;
}

const DEFAULT_BUFFER_LIMIT_BYTES = 1024 * 1024;
const HCM_TYPE =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const EXT_PROC_TYPE = "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor";
const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

function typeOf(filter: YamlMap, path: string): string | undefined {
  const typed = optMap(filter, "typed_config", path);
  return typed ? optString(typed, "@type", childPath(path, "typed_config")) : undefined;
}

function findHcm(listener: YamlMap, path: string): { hcm: YamlMap; path: string } {
  const chainsPath = childPath(path, "filter_chains");
  const chain = asMap(asList(listener.filter_chains, chainsPath)[0], childPath(chainsPath, 0));
  const filtersPath = childPath(childPath(chainsPath, 0), "filters");
  const filters = optList(chain, "filters", childPath(chainsPath, 0));
  for (const [i, value] of filters.entries()) {
    const filterPath = childPath(filtersPath, i);
    const filter = asMap(value, filterPath);
    if (typeOf(filter, filterPath) === HCM_TYPE) {
      return { hcm: reqMap(filter, "typed_config", filterPath), path: childPath(filterPath, "typed_config") };
    }
  }
  throw new EnvoyConfigError(filtersPath, "no HttpConnectionManager filter");
}

/** The ext_proc filter's typed_config; it must come before the router, which must be the last filter. */
function findExtProcFilter(hcm: YamlMap, path: string): { config: YamlMap; path: string } {
  const filtersPath = childPath(path, "http_filters");
  const filters = optList(hcm, "http_filters", path).map((f, i) => asMap(f, childPath(filtersPath, i)));
  let extProc: { config: YamlMap; path: string } | undefined;
  for (const [i, filter] of filters.entries()) {
    const filterPath = childPath(filtersPath, i);
    const type = typeOf(filter, filterPath);
    if (type === ROUTER_TYPE) {
      if (i !== filters.length - 1) throw new EnvoyConfigError(filterPath, "the router must be the last http filter");
      if (!extProc) throw new EnvoyConfigError(filtersPath, "envoy.filters.http.ext_proc must come before the router");
      return extProc;
    }
    if (type !== EXT_PROC_TYPE || extProc) {
      throw new EnvoyConfigError(filterPath, `http filter ${type ?? "(no typed_config)"} is not emulated`);
    }
    extProc = { config: reqMap(filter, "typed_config", filterPath), path: childPath(filterPath, "typed_config") };
  }
  throw new EnvoyConfigError(filtersPath, "envoy.filters.http.router is missing");
}

function parseCluster(value: unknown, path: string): Cluster {
  const cluster = asMap(value, path);
  const name = reqString(cluster, "name", path);
  const assignmentPath = childPath(path, "load_assignment");
  const endpoints = asList(reqMap(cluster, "load_assignment", path).endpoints, childPath(assignmentPath, "endpoints"));
  const lbPath = childPath(childPath(assignmentPath, "endpoints"), 0);
  const lbEndpoints = asList(asMap(endpoints[0], lbPath).lb_endpoints, childPath(lbPath, "lb_endpoints"));
  const endpointPath = childPath(childPath(lbPath, "lb_endpoints"), 0);
  const endpoint = reqMap(asMap(lbEndpoints[0], endpointPath), "endpoint", endpointPath);
  const socketPath = childPath(childPath(childPath(endpointPath, "endpoint"), "address"), "socket_address");
  const socket = reqMap(reqMap(endpoint, "address", childPath(endpointPath, "endpoint")), "socket_address", socketPath);
  const port = optInteger(socket, "port_value", socketPath);
  if (port === undefined) throw new EnvoyConfigError(childPath(socketPath, "port_value"), "required");
  const transport = optMap(cluster, "transport_socket", path);
  const tlsContext = transport ? optMap(transport, "typed_config", childPath(path, "transport_socket")) : undefined;
  const sni = tlsContext ? optString(tlsContext, "sni", childPath(path, "transport_socket.typed_config")) : undefined;
  return { name, address: reqString(socket, "address", socketPath), port, tls: transport !== undefined, sni };
}

function parseClusters(resources: YamlMap): Map<string, Cluster> {
  const clusters = new Map<string, Cluster>();
  for (const [i, value] of optList(resources, "clusters", "static_resources").entries()) {
    const cluster = parseCluster(value, `static_resources.clusters[${i}]`);
    if (clusters.has(cluster.name)) throw new EnvoyConfigError(`static_resources.clusters[${i}]`, "duplicate name");
    clusters.set(cluster.name, cluster);
  }
  return clusters;
}

/** Parses an Envoy v3 bootstrap YAML (static_resources); throws EnvoyConfigError naming the offending YAML path. */
export function parseEnvoyConfig(text: string): EnvoyConfig {
  const root = asMap(parseYaml(text), "(root)");
  const resources = reqMap(root, "static_resources", "");
  const listenerPath = "static_resources.listeners[0]";
  const listener = asMap(asList(resources.listeners, "static_resources.listeners")[0], listenerPath);
  const hcm = findHcm(listener, listenerPath);
  const extProcFilter = findExtProcFilter(hcm.hcm, hcm.path);
  const extProc = parseExtProcFilter(extProcFilter.config, extProcFilter.path);
  const routeConfig = parseRouteConfig(hcm.hcm, hcm.path);
  const clusters = parseClusters(resources);
  if (!clusters.has(extProc.clusterName)) {
    throw new EnvoyConfigError(
      `${extProcFilter.path}.grpc_service.envoy_grpc.cluster_name`,
      `unknown cluster ${extProc.clusterName}`,
    );
  }
  for (const name of routeConfig.validateClusters ? routeConfig.table.clusterNames() : []) {
    if (!clusters.has(name))
      throw new EnvoyConfigError(`${hcm.path}.route_config`, `route refers to unknown cluster ${name}`);
  }
  const bufferLimit = optInteger(listener, "per_connection_buffer_limit_bytes", listenerPath);
  return { bufferLimitBytes: bufferLimit ?? DEFAULT_BUFFER_LIMIT_BYTES, routes: routeConfig.table, clusters, extProc };
}

/** Reads and parses an Envoy bootstrap file. */
export function loadEnvoyConfig(path: string): EnvoyConfig {
  return parseEnvoyConfig(readFileSync(path, "utf8"));
}
