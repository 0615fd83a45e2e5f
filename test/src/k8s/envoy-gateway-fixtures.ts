import { parseConfig } from "@mcp-gateway/core";
import {
  assignShards,
  renderDirectRoute,
  renderExtProc,
  renderHttpRoute,
  shardName,
  type RoutedServer,
  type RouteSettings,
} from "@mcp-gateway/controller";
import { renderEnvoyConfig } from "@mcp-gateway/router";
import { envoyBinary } from "../support/envoy-binary";

/** The namespace of every object the Envoy Gateway test renders. */
export const NS = "mcp";

/** The part of a rendered HTTPRoute rule the test reads: its header match. */
export type RenderedRule = { matches?: { headers?: { value: string }[] }[] };

/** The Backend standing for a Service on loopback (see {@link asBackends}). */
export const backend = (name: string, port: number): object => ({
  apiVersion: "gateway.envoyproxy.io/v1alpha1",
  kind: "Backend",
  metadata: { name, namespace: NS },
  spec: { endpoints: [{ ip: { address: "127.0.0.1", port } }] },
});

/**
 * A rendered object with every Service backendRef (`{ name, port }`) pointed at the Envoy Gateway Backend of that name
 * instead: standalone Envoy Gateway stores no Services (its file provider drops them, so a Service backendRef is "not
 * found"), and a Backend with a static endpoint is its way to a host process. Nothing else of the object changes.
 */
export function asBackends(object: Record<string, unknown>): object {
  return JSON.parse(JSON.stringify(object), (key: string, value: unknown) =>
    key === "backendRefs" && Array.isArray(value)
      ? value.map((ref: Record<string, unknown>) => ({ group: "gateway.envoyproxy.io", kind: "Backend", ...ref }))
      : value,
  ) as object;
}

/** GatewayClass, its EnvoyProxy (host provider, on the pinned Envoy) and the Gateway, listening on `port`. */
export function gatewayObjects(port: number): object[] {
  return [
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: "eg" },
      spec: {
        controllerName: "gateway.envoyproxy.io/gatewayclass-controller",
        parametersRef: { group: "gateway.envoyproxy.io", kind: "EnvoyProxy", name: "host", namespace: NS },
      },
    },
    {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyProxy",
      metadata: { name: "host", namespace: NS },
      spec: {
        provider: { type: "Host", host: { envoyVersion: envoyBinary().version } },
      },
    },
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "Gateway",
      metadata: { name: "eg", namespace: NS },
      spec: { gatewayClassName: "eg", listeners: [{ name: "http", protocol: "HTTP", port }] },
    },
  ];
}

/** Filler servers named before the real ones, so that "notes" lands in the first HTTPRoute (with the broker rule)
 * and "weather" in the second, `mcp-gateway-2`: the policy targets both, the header match wins across routes. */
const FILLERS: RoutedServer[] = Array.from({ length: 14 }, (_, i) => ({
  name: `filler-${String(i + 1).padStart(2, "0")}`,
  service: "filler",
  port: 9,
  path: "/mcp",
}));

/** What the controller writes for `servers` (and the fillers): the shard HTTPRoutes, the direct one, the policy
 * targeting every shard, each Service backendRef pointed at a Backend; and where each server's rule is. */
export function renderRoutes(settings: RouteSettings, servers: readonly RoutedServer[]) {
  const shards = assignShards([...FILLERS, ...servers]).map((shard, index) => ({
    name: shardName(settings, index),
    route: renderHttpRoute(settings, shard, index) as { spec: { rules: RenderedRule[] } },
  }));
  const ruleOf = (server: string): { route: string; index: number } => {
    for (const { name, route } of shards) {
      const index = route.spec.rules.findIndex((r) => r.matches?.[0]?.headers?.[0]?.value === server);
      if (index >= 0) return { route: name, index };
    }
    throw new Error(`no rule for ${server}`);
  };
  const objects = [
    ...shards.map(({ route }) => asBackends(route)),
    asBackends(renderDirectRoute(settings)),
    asBackends(
      renderExtProc(
        settings,
        shards.map(({ name }) => name),
      ) ?? {},
    ),
  ];
  return { objects, ruleOf };
}

export type Filter = { name: string; disabled?: boolean; typed_config: Record<string, unknown> };
type Hcm = { typed_config: { http_filters?: Filter[] } };
type Chain = { filters: Hcm[] };
type Route = { name: string; typed_per_filter_config?: Record<string, unknown> };
export type ConfigDump = {
  configs: {
    "@type": string;
    dynamic_listeners?: { active_state?: { listener: { filter_chains?: Chain[]; default_filter_chain?: Chain } } }[];
    dynamic_route_configs?: { route_config: { virtual_hosts?: { routes: Route[] }[] } }[];
  }[];
};

/** The ext_proc filter Envoy Gateway put on its Envoy's listeners, and per route whether it is enabled there. */
export function extProcOf(dump: ConfigDump): { filter: Filter; perRoute: Map<string, boolean> } {
  const filters = dump.configs
    .flatMap((c) => c.dynamic_listeners ?? [])
    .flatMap((l) => {
      const listener = l.active_state?.listener;
      return [
        ...(listener?.filter_chains ?? []),
        ...(listener?.default_filter_chain ? [listener.default_filter_chain] : []),
      ];
    })
    .flatMap((chain) => chain.filters.flatMap((f) => f.typed_config.http_filters ?? []))
    .filter((f) => f.name.startsWith("envoy.filters.http.ext_proc"));
  const filter = filters[0];
  if (filters.length !== 1 || !filter) throw new Error(`expected one ext_proc filter, found ${filters.length}`);
  const perRoute = new Map<string, boolean>();
  for (const route of dump.configs
    .flatMap((c) => c.dynamic_route_configs ?? [])
    .flatMap((r) => r.route_config.virtual_hosts ?? [])
    .flatMap((vh) => vh.routes)) {
    perRoute.set(route.name, Object.keys(route.typed_per_filter_config ?? {}).includes(filter.name));
  }
  return { filter, perRoute };
}

/** render-envoy's ext_proc filter config for a gateway config. */
export function renderedFilter(yaml: string): Record<string, unknown> {
  type Bootstrap = { static_resources: { listeners: { filter_chains: { filters: Hcm[] }[] }[] } };
  const envoy = renderEnvoyConfig(parseConfig(yaml, {})) as Bootstrap;
  const filters = envoy.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.http_filters ?? [];
  return filters.find((f) => f.name === "envoy.filters.http.ext_proc")?.typed_config ?? {};
}
