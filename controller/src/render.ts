import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import {
  ACCESS_METADATA_NAMESPACE,
  DEFAULT_BACKEND_INIT_TIMEOUT_MS,
  EXT_PROC_PROCESSING_MODE,
  EXT_PROC_REQUEST_ATTRIBUTES,
  extProcMessageTimeoutMs,
  parseDurationMs,
  PROTECTED_RESOURCE_WELL_KNOWN,
} from "@mcp-gateway/core";
import { DESTINATION_HEADER } from "./api-types";

/** The gateway config file: the operator's base config (everything but MCPServer-made servers) plus one server per
 * accepted MCPServer, sorted by name so an unchanged set renders byte-identically (no needless reloads). */
export function renderConfig(base: Record<string, unknown>, entries: readonly Record<string, unknown>[]): string {
  const own = Array.isArray(base.servers) ? (base.servers as Record<string, unknown>[]) : [];
  const servers = [...own, ...[...entries].sort((a, b) => String(a.name).localeCompare(String(b.name)))];
  return stringify({ ...base, servers });
}

/** How Envoy gets the router as ext_proc: Envoy Gateway's EnvoyExtensionPolicy or Istio's EnvoyFilter. */
export type ExtProcMode = "envoy-gateway" | "istio" | "none";

/** Settings of the Gateway API objects the controller writes. */
export interface RouteSettings {
  namespace: string;
  /** Name of the first ext_proc HTTPRoute (the others are `<name>-2`, `<name>-3`, …) and of the ext_proc attachment. */
  name: string;
  /** The Gateway the HTTPRoute attaches to. */
  gateway: { name: string; namespace?: string };
  /** The broker Service (default rule: sessions, lists, streams) and the router Service (ext_proc, gRPC). */
  broker: { service: string; port: number };
  router: { service: string; port: number };
  extProc: ExtProcMode;
  /** The ext_proc message timeout (ms); {@link extProcTimeoutMs} of the base config when unset. */
  messageTimeoutMs?: number;
  /** Labels of the Istio gateway workload the EnvoyFilter applies to. */
  istioSelector?: Record<string, string>;
}

/** One routed server: its name (the x-destination-mcp value) and its Service port. */
export interface RoutedServer {
  name: string;
  service: string;
  port: number;
  path: string;
  timeout?: string;
}

/** The label on every object the controller writes (and the mark of the HTTPRoutes it may delete). */
export const MANAGED_BY = "app.kubernetes.io/managed-by";
const LABELS = { [MANAGED_BY]: "mcp-gateway-controller" };

/** The broker paths outside /mcp that the router's ext_proc passes through (it answers the metadata itself when the
 * gateway does not advertise it): RFC 9728's protected resource metadata, and every path below it. */
const METADATA_PATH = PROTECTED_RESOURCE_WELL_KNOWN;
/** The broker paths that must not pass ext_proc: the web console (static files) and the OpenAI-compatible LLM
 * endpoints (/v1/chat/completions, /v1/responses: long streaming answers whose bodies are not JSON-RPC). */
const CONSOLE_PREFIX = "/ui";
const LLM_PREFIX = "/v1";

/** The parent (Gateway) reference of both HTTPRoutes. */
const parentRefs = (settings: RouteSettings): object[] => [
  { name: settings.gateway.name, ...(settings.gateway.namespace ? { namespace: settings.gateway.namespace } : {}) },
];

/** The name of the second HTTPRoute, the one without ext_proc (see {@link renderDirectRoute}). */
export const directRouteName = (settings: RouteSettings): string => `${settings.name}-direct`;

/** Gateway API's cap on rules per HTTPRoute (the CRD's `spec.rules` maxItems). */
export const MAX_RULES_PER_ROUTE = 16;

/** How many servers shard `index` holds: the first one also carries the broker rule. */
const shardCapacity = (index: number): number => (index === 0 ? MAX_RULES_PER_ROUTE - 1 : MAX_RULES_PER_ROUTE);

/** The name of shard `index` (0-based) of the ext_proc HTTPRoutes: `<name>`, then `<name>-2`, `<name>-3`, … */
export const shardName = (settings: RouteSettings, index: number): string =>
  index === 0 ? settings.name : `${settings.name}-${index + 1}`;

/** The shard index a route name denotes (see {@link shardName}), or undefined when it is no shard of `settings`. */
export function shardIndex(settings: RouteSettings, name: string): number | undefined {
  if (name === settings.name) return 0;
  const suffix = name.startsWith(`${settings.name}-`) ? name.slice(settings.name.length + 1) : "";
  // `<name>-1` is not a shard name (the first shard is `<name>`), nor are leading zeros or absurd numbers.
  return /^([2-9]|[1-9]\d{1,4})$/.test(suffix) ? Number(suffix) - 1 : undefined;
}

/**
 * Spreads the servers over shards of at most {@link MAX_RULES_PER_ROUTE} rules, sticky: a server stays in the shard
 * `previous` says it is in while that shard has room (taken in name order), the others fill the lowest shards with
 * room, in name order. So adding or removing a server never moves another one. Indices in `taken` (names held by
 * routes the controller does not manage) stay empty, except the first. Returns the servers per shard index; an index
 * without servers (other than 0) is a shard no longer needed.
 */
export function assignShards(
  servers: readonly RoutedServer[],
  previous: ReadonlyMap<string, number> = new Map(),
  taken: ReadonlySet<number> = new Set(),
): RoutedServer[][] {
  const room = (index: number): number => (index > 0 && taken.has(index) ? 0 : shardCapacity(index));
  const shards: RoutedServer[][] = [[]];
  const at = (index: number): RoutedServer[] => {
    while (shards.length <= index) shards.push([]);
    return shards[index] as RoutedServer[];
  };
  const sorted = [...servers].sort((a, b) => a.name.localeCompare(b.name));
  const homeless: RoutedServer[] = [];
  for (const server of sorted) {
    const index = previous.get(server.name);
    if (index !== undefined && at(index).length < room(index)) at(index).push(server);
    else homeless.push(server);
  }
  let index = 0;
  for (const server of homeless) {
    while (at(index).length >= room(index)) index += 1;
    at(index).push(server);
  }
  return shards;
}

/** The rule routing `x-destination-mcp: <server>` on /mcp to the server's Service (path rewritten to its MCP path). */
const serverRule = (server: RoutedServer): Record<string, unknown> => ({
  matches: [
    {
      path: { type: "PathPrefix", value: "/mcp" },
      headers: [{ type: "Exact", name: DESTINATION_HEADER, value: server.name }],
    },
  ],
  filters: [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: server.path } } }],
  backendRefs: [{ name: server.service, port: server.port }],
  ...(server.timeout ? { timeouts: { request: server.timeout } } : {}),
});

/**
 * Shard `index` of the HTTPRoutes the ext_proc attachment targets (see {@link assignShards}): per server a rule
 * matching `x-destination-mcp: <name>` to its Service; the first shard also sends everything else of /mcp (no header:
 * initialize, lists, streams) and the protected resource metadata to the broker, without a request timeout (SSE
 * streams are long-lived). Gateway API orders header matches before bare path matches across all of a Gateway's
 * routes, so a server's rule wins over the broker's whichever shard holds it.
 */
export function renderHttpRoute(
  settings: RouteSettings,
  servers: readonly RoutedServer[],
  index = 0,
): Record<string, unknown> {
  if (servers.length > shardCapacity(index)) {
    throw new Error(`HTTPRoute ${shardName(settings, index)}: ${servers.length} servers exceed its room for rules`);
  }
  const rules = [...servers].sort((a, b) => a.name.localeCompare(b.name)).map(serverRule);
  // One rule for both broker matches: the CRD allows 16 rules per HTTPRoute, each server takes one.
  if (index === 0) {
    rules.push({
      matches: [
        { path: { type: "PathPrefix", value: "/mcp" } },
        { path: { type: "PathPrefix", value: METADATA_PATH } },
      ],
      backendRefs: [{ name: settings.broker.service, port: settings.broker.port }],
      timeouts: { request: "0s" },
    });
  }
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: shardName(settings, index), namespace: settings.namespace, labels: LABELS },
    spec: { parentRefs: parentRefs(settings), rules },
  };
}

/**
 * The second HTTPRoute, which no ext_proc attachment targets: the web console (/ui, /ui/…: static files, 15 s as in
 * render-envoy) and the LLM endpoints (/v1/…: streamed answers, so no request timeout: "0s" disables it per the
 * Gateway API spec) to the broker. Gateway API matches the longest path prefix first across a Gateway's routes.
 */
export function renderDirectRoute(settings: RouteSettings): Record<string, unknown> {
  const broker = [{ name: settings.broker.service, port: settings.broker.port }];
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: directRouteName(settings), namespace: settings.namespace, labels: LABELS },
    spec: {
      parentRefs: parentRefs(settings),
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: CONSOLE_PREFIX } }],
          backendRefs: broker,
          timeouts: { request: "15s" },
        },
        {
          matches: [{ path: { type: "PathPrefix", value: LLM_PREFIX } }],
          backendRefs: broker,
          timeouts: { request: "0s" },
        },
      ],
    },
  };
}

/**
 * The ext_proc message timeout for a base config, as render-envoy computes it from sessions.backendInitTimeout. A value
 * the controller cannot read (a `${env:…}` reference it does not resolve) counts as the default: the gateway itself
 * validates the value it resolves.
 */
export function extProcTimeoutMs(base: Record<string, unknown>): number {
  const sessions = base.sessions;
  const value =
    sessions && typeof sessions === "object" ? (sessions as Record<string, unknown>).backendInitTimeout : undefined;
  const parsed = typeof value === "string" || typeof value === "number" ? parseDurationMs(value) : undefined;
  return extProcMessageTimeoutMs(parsed ?? DEFAULT_BACKEND_INIT_TIMEOUT_MS);
}

const messageTimeout = (settings: RouteSettings): number =>
  settings.messageTimeoutMs ?? extProcMessageTimeoutMs(DEFAULT_BACKEND_INIT_TIMEOUT_MS);

/** A duration as Envoy Gateway's CRD spells it (`^([0-9]{1,5}(h|m|s|ms)){1,4}$`): whole seconds, else milliseconds. */
function gatewayDuration(ms: number): string {
  if (ms % 1000 === 0 || ms > 99_999) return `${Math.ceil(ms / 1000)}s`;
  return `${Math.ceil(ms)}ms`;
}

/** The ext_proc attachment for the chosen mode (none for "none"): the router sees every request and response of the
 * shard HTTPRoutes (/mcp, the metadata), never those of the direct one (Envoy Gateway: the policy targets every shard,
 * `shards` their names; Istio: the EnvoyFilter applies to the gateway workload, so to every route). */
export function renderExtProc(
  settings: RouteSettings,
  shards: readonly string[] = [settings.name],
): Record<string, unknown> | undefined {
  const metadata = { name: settings.name, namespace: settings.namespace, labels: LABELS };
  if (settings.extProc === "envoy-gateway") {
    return {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyExtensionPolicy",
      metadata,
      spec: {
        targetRefs: shards.map((name) => ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name })),
        extProc: [
          {
            backendRefs: [{ name: settings.router.service, port: settings.router.port }],
            // As render-envoy's filter: the router reads request headers, whole request bodies and response
            // headers (a present `request`/`response` sends the headers; trailers are never sent), may override
            // the mode per request (to read a reply's body), gets the client's address, writes the access log's
            // metadata namespace and has render-envoy's message timeout; a router failure fails the request.
            processingMode: {
              request: { body: "Buffered", attributes: [...EXT_PROC_REQUEST_ATTRIBUTES] },
              response: {},
              allowModeOverride: true,
            },
            metadata: { writableNamespaces: [ACCESS_METADATA_NAMESPACE] },
            messageTimeout: gatewayDuration(messageTimeout(settings)),
            failOpen: false,
          },
        ],
      },
    };
  }
  if (settings.extProc === "istio") return istioEnvoyFilter(settings, metadata);
  return undefined;
}

/** Istio: an EnvoyFilter inserting the ext_proc filter (as render-envoy configures it) before the router filter. */
function istioEnvoyFilter(settings: RouteSettings, metadata: object): Record<string, unknown> {
  const cluster = `outbound|${settings.router.port}||${settings.router.service}.${settings.namespace}.svc.cluster.local`;
  return {
    apiVersion: "networking.istio.io/v1alpha3",
    kind: "EnvoyFilter",
    metadata,
    spec: {
      workloadSelector: { labels: settings.istioSelector ?? { istio: "ingressgateway" } },
      configPatches: [
        {
          applyTo: "HTTP_FILTER",
          match: {
            context: "GATEWAY",
            listener: {
              filterChain: {
                filter: {
                  name: "envoy.filters.network.http_connection_manager",
                  subFilter: { name: "envoy.filters.http.router" },
                },
              },
            },
          },
          patch: {
            operation: "INSERT_BEFORE",
            value: {
              name: "envoy.filters.http.ext_proc",
              typed_config: {
                "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
                grpc_service: { envoy_grpc: { cluster_name: cluster } },
                failure_mode_allow: false,
                allow_mode_override: true,
                message_timeout: `${messageTimeout(settings) / 1000}s`,
                mutation_rules: { allow_all_routing: true },
                metadata_options: { receiving_namespaces: { untyped: [ACCESS_METADATA_NAMESPACE] } },
                request_attributes: [...EXT_PROC_REQUEST_ATTRIBUTES],
                processing_mode: { ...EXT_PROC_PROCESSING_MODE },
              },
            },
          },
        },
      ],
    },
  };
}

/** Reads the operator's base config (YAML): a mapping; its ${env:…} references are left for the gateway to resolve. */
export async function loadBaseConfig(path: string): Promise<Record<string, unknown>> {
  const base: unknown = parse(await readFile(path, "utf8"));
  if (!base || typeof base !== "object" || Array.isArray(base)) {
    throw new Error(`${path}: expected a gateway config mapping (version: 1, …)`);
  }
  return base as Record<string, unknown>;
}
