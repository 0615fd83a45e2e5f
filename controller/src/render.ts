import { readFile } from "node:fs/promises";
import { parse, stringify } from "yaml";
import { PROTECTED_RESOURCE_WELL_KNOWN } from "@mcp-gateway/core";
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
  /** Name of the HTTPRoute (and of the ext_proc attachment). */
  name: string;
  /** The Gateway the HTTPRoute attaches to. */
  gateway: { name: string; namespace?: string };
  /** The broker Service (default rule: sessions, lists, streams) and the router Service (ext_proc, gRPC). */
  broker: { service: string; port: number };
  router: { service: string; port: number };
  extProc: ExtProcMode;
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

const LABELS = { "app.kubernetes.io/managed-by": "mcp-gateway-controller" };

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

/** The HTTPRoute the ext_proc attachment targets: per server a rule matching `x-destination-mcp: <name>` to its
 * Service (path rewritten to the server's MCP path); everything else of /mcp (no header: initialize, lists, streams)
 * and the protected resource metadata go to the broker, without a request timeout (SSE streams are long-lived). */
export function renderHttpRoute(settings: RouteSettings, servers: readonly RoutedServer[]): Record<string, unknown> {
  const rules: Record<string, unknown>[] = [...servers]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((server) => ({
      matches: [
        {
          path: { type: "PathPrefix", value: "/mcp" },
          headers: [{ type: "Exact", name: DESTINATION_HEADER, value: server.name }],
        },
      ],
      filters: [
        { type: "URLRewrite", urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: server.path } } },
      ],
      backendRefs: [{ name: server.service, port: server.port }],
      ...(server.timeout ? { timeouts: { request: server.timeout } } : {}),
    }));
  // One rule for both broker matches: the CRD allows 16 rules per HTTPRoute, each server takes one.
  rules.push({
    matches: [{ path: { type: "PathPrefix", value: "/mcp" } }, { path: { type: "PathPrefix", value: METADATA_PATH } }],
    backendRefs: [{ name: settings.broker.service, port: settings.broker.port }],
    timeouts: { request: "0s" },
  });
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name: settings.name, namespace: settings.namespace, labels: LABELS },
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

/** The ext_proc attachment for the chosen mode (none for "none"): the router sees every request and response of the
 * main HTTPRoute (/mcp, the metadata), never those of the direct one (Envoy Gateway: the policy targets one route). */
export function renderExtProc(settings: RouteSettings): Record<string, unknown> | undefined {
  const metadata = { name: settings.name, namespace: settings.namespace, labels: LABELS };
  if (settings.extProc === "envoy-gateway") {
    return {
      apiVersion: "gateway.envoyproxy.io/v1alpha1",
      kind: "EnvoyExtensionPolicy",
      metadata,
      spec: {
        targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: settings.name }],
        extProc: [
          {
            backendRefs: [{ name: settings.router.service, port: settings.router.port }],
            // As render-envoy's filter: the router reads whole request bodies and response headers, and may
            // override the mode per request (to read a reply's body); a router failure fails the request.
            processingMode: { request: { body: "Buffered" }, response: {}, allowModeOverride: true },
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
                mutation_rules: { allow_all_routing: true },
                processing_mode: { request_body_mode: "BUFFERED", response_body_mode: "NONE" },
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
