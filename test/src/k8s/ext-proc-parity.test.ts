import { parse } from "yaml";
import { parseConfig, parseDurationMs } from "@mcp-gateway/core";
import { extProcTimeoutMs, renderExtProc, type RouteSettings } from "@mcp-gateway/controller";
import { renderEnvoyConfig } from "@mcp-gateway/router";

// One gateway config, as `render-envoy` and the controller (from its base config) both see it: a backendInitTimeout
// past the default, so the message timeout is the computed one, not the floor.
const YAML = [
  "version: 1",
  "auth: none",
  'servers: [{ name: weather, url: "http://weather.mcp.svc:8080/mcp" }]',
  'sessions: { secret: "parity-test-session-secret-0123456789abcdef", backendInitTimeout: 9500ms }',
  "",
].join("\n");

const settings: RouteSettings = {
  namespace: "mcp",
  name: "mcp-gateway",
  gateway: { name: "gw" },
  broker: { service: "mcp-gateway-broker", port: 8081 },
  router: { service: "mcp-gateway-router", port: 9000 },
  extProc: "istio",
  messageTimeoutMs: extProcTimeoutMs(parse(YAML) as Record<string, unknown>),
};

type Filter = { name: string; typed_config: Record<string, unknown> };
type Hcm = { typed_config: { http_filters: Filter[] } };
type Bootstrap = { static_resources: { listeners: { filter_chains: { filters: Hcm[] }[] }[] } };

/** render-envoy's ext_proc filter config, without the cluster it names (each attachment names its own). */
function renderedFilter(): Record<string, unknown> {
  const envoy = renderEnvoyConfig(parseConfig(YAML, {})) as Bootstrap;
  const filters = envoy.static_resources.listeners[0]?.filter_chains[0]?.filters[0]?.typed_config.http_filters ?? [];
  const { grpc_service: _, ...rest } =
    filters.find((f) => f.name === "envoy.filters.http.ext_proc")?.typed_config ?? {};
  return rest;
}

describe("the controller's ext_proc attachments and render-envoy's filter", () => {
  it("Istio: the EnvoyFilter inserts render-envoy's filter, field for field but the router cluster", () => {
    const filter = renderExtProc(settings) as {
      spec: { configPatches: { patch: { value: Filter } }[] };
    };
    const { grpc_service: cluster, ...rest } = filter.spec.configPatches[0]?.patch.value.typed_config ?? {};
    expect(cluster).toEqual({
      envoy_grpc: { cluster_name: "outbound|9000||mcp-gateway-router.mcp.svc.cluster.local" },
    });
    expect(rest).toEqual(renderedFilter());
    expect(rest.message_timeout).toBe("10.5s");
  });

  it("Envoy Gateway: the policy carries every setting its API has, with render-envoy's values", () => {
    const policy = renderExtProc({ ...settings, extProc: "envoy-gateway" }) as {
      spec: { extProc: Record<string, unknown>[] };
    };
    const ext = policy.spec.extProc[0] as {
      messageTimeout: string;
      failOpen: boolean;
      metadata: { writableNamespaces: string[] };
      processingMode: { allowModeOverride: boolean; request: { body: string; attributes: string[] }; response: object };
    };
    const envoy = renderedFilter() as {
      message_timeout: string;
      failure_mode_allow: boolean;
      allow_mode_override: boolean;
      request_attributes: string[];
      metadata_options: { receiving_namespaces: { untyped: string[] } };
      processing_mode: Record<string, string>;
    };
    expect(parseDurationMs(ext.messageTimeout)).toBe(parseDurationMs(envoy.message_timeout));
    expect(ext.failOpen).toBe(envoy.failure_mode_allow);
    expect(ext.processingMode.allowModeOverride).toBe(envoy.allow_mode_override);
    expect(ext.processingMode.request.attributes).toEqual(envoy.request_attributes);
    expect(ext.metadata.writableNamespaces).toEqual(envoy.metadata_options.receiving_namespaces.untyped);
    // Envoy Gateway sends the headers of a phase whose object is present, the body in the mode named (none when
    // unnamed), and never trailers.
    expect(envoy.processing_mode).toEqual({
      request_header_mode: "SEND",
      request_body_mode: ext.processingMode.request.body.toUpperCase(),
      response_header_mode: "SEND",
      response_body_mode: "NONE",
      request_trailer_mode: "SKIP",
      response_trailer_mode: "SKIP",
    });
    expect(ext.processingMode.response).toEqual({});
  });
});
