import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadConfigFile, parseConfig } from "@mcp-gateway/core";
import { parse } from "yaml";
import { LLM_PATHS, LLM_STRIPPED_HEADERS } from "./llm-routes";
import {
  BROKER_CLUSTER,
  DEFAULT_RENDER_OPTIONS,
  headerCapKb,
  messageTimeoutMs,
  renderEnvoyConfig,
  renderEnvoyYaml,
  ROUTER_CLUSTER,
} from "./render-envoy";

const ROOT = resolve(__dirname, "..", "..", "..");
const LLM_ROUTE_NAMES = ["llm_chat_completions", "llm_responses"];

type Rendered = {
  static_resources: {
    listeners: {
      filter_chains: {
        filters: {
          typed_config: {
            http_filters: { name: string; typed_config: Record<string, unknown> }[];
            route_config: {
              virtual_hosts: { routes: { match: object; route: { cluster: string; timeout: string } }[] }[];
            };
          };
        }[];
      }[];
    }[];
    clusters: { name: string; transport_socket?: { typed_config: { sni: string } } }[];
  };
};

const config = parseConfig(
  'version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://weather.internal:9101/mcp" }\n  - { name: github, url: "https://api.example.com/mcp", prefix: gh_ }\n',
  {},
);
const rendered = renderEnvoyConfig(config) as Rendered;
const hcm = rendered.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config;

describe("renderEnvoyConfig", () => {
  it("routes each server on x-destination-mcp and everything else to the broker, without route timeouts", () => {
    const routes = hcm.route_config.virtual_hosts[0]!.routes.slice(LLM_PATHS.length);
    expect(routes.map((r) => r.route.cluster)).toEqual(["mcp_server_weather", "mcp_server_github", BROKER_CLUSTER]);
    expect(routes[0]!.match).toEqual({
      prefix: "/",
      headers: [{ name: "x-destination-mcp", string_match: { exact: "weather" } }],
    });
    expect(routes.every((r) => r.route.timeout === "0s")).toBe(true);
  });

  it("puts ext_proc before the router filter with the architecture's settings", () => {
    expect(hcm.http_filters.map((f) => f.name)).toEqual(["envoy.filters.http.ext_proc", "envoy.filters.http.router"]);
    expect(hcm.http_filters[0]!.typed_config).toMatchObject({
      grpc_service: { envoy_grpc: { cluster_name: ROUTER_CLUSTER } },
      failure_mode_allow: false,
      allow_mode_override: true,
      message_timeout: "5s",
      mutation_rules: { allow_all_routing: true },
      processing_mode: {
        request_header_mode: "SEND",
        request_body_mode: "BUFFERED",
        response_header_mode: "SEND",
        response_body_mode: "NONE",
      },
    });
  });

  it("defines every cluster a route names, TLS with SNI for https upstreams", () => {
    const names = rendered.static_resources.clusters.map((c) => c.name);
    expect(names).toEqual([ROUTER_CLUSTER, BROKER_CLUSTER, "mcp_server_weather", "mcp_server_github"]);
    expect(rendered.static_resources.clusters[3]!.transport_socket?.typed_config.sni).toBe("api.example.com");
    expect(rendered.static_resources.clusters[2]!.transport_socket).toBeUndefined();
  });
});

describe("the console's routes", () => {
  const routesOf = (yaml: string) =>
    (renderEnvoyConfig(parseConfig(yaml, {})) as Rendered).static_resources.listeners[0]!.filter_chains[0]!.filters[0]!
      .typed_config.route_config.virtual_hosts[0]!.routes as unknown as {
      name: string;
      match: object;
      route: { cluster: string };
      typed_per_filter_config?: Record<string, { disabled?: boolean }>;
    }[];
  const base = 'version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://weather.internal:9101/mcp" }\n';

  it("sends /ui and /ui/… to the broker first, without ext_proc, when console.enabled", () => {
    const [exact, files, ...rest] = routesOf(`${base}console: { enabled: true }\n`);
    expect([exact?.match, files?.match]).toEqual([{ path: "/ui" }, { prefix: "/ui/" }]);
    for (const route of [exact, files]) {
      expect(route?.route.cluster).toBe(BROKER_CLUSTER);
      expect(route?.typed_per_filter_config?.["envoy.filters.http.ext_proc"]?.disabled).toBe(true);
    }
    expect(rest.map((r) => r.name)).toEqual([...LLM_ROUTE_NAMES, "server_weather", "broker"]);
  });

  it("renders no console route when the console is off (the default)", () => {
    expect(routesOf(base).map((r) => r.name)).toEqual([...LLM_ROUTE_NAMES, "server_weather", "broker"]);
  });
});

describe("the LLM endpoints' routes (/v1/chat/completions, /v1/responses)", () => {
  const routes = hcm.route_config.virtual_hosts[0]!.routes as unknown as {
    name: string;
    match: Record<string, unknown>;
    route: { cluster: string; timeout: string };
    request_headers_to_remove?: string[];
    typed_per_filter_config?: Record<string, { disabled?: boolean }>;
  }[];
  const llm = routes.slice(0, LLM_PATHS.length);

  it("go to the broker first, on exact paths (no prefix a dot segment could ride past ext_proc)", () => {
    expect(llm.map((r) => [r.name, r.match, r.route.cluster])).toEqual([
      ["llm_chat_completions", { path: "/v1/chat/completions" }, BROKER_CLUSTER],
      ["llm_responses", { path: "/v1/responses" }, BROKER_CLUSTER],
    ]);
  });

  it("turn ext_proc off (the body is an OpenAI request, not JSON-RPC) and set no route timeout", () => {
    for (const route of llm) {
      expect(route.typed_per_filter_config?.["envoy.filters.http.ext_proc"]?.disabled).toBe(true);
      expect(route.route.timeout).toBe("0s");
    }
  });

  it("remove the client's copies of the gateway's own headers, which the router strips elsewhere", () => {
    for (const route of llm) {
      expect(route.request_headers_to_remove).toEqual(LLM_STRIPPED_HEADERS);
    }
    expect(LLM_STRIPPED_HEADERS).toEqual(
      expect.arrayContaining(["x-destination-mcp", "x-mcp-identity", "x-mcp-client-address", "x-mcp-gateway-hop"]),
    );
  });

  it("leave every other route under ext_proc", () => {
    expect(routes.slice(LLM_PATHS.length).every((r) => r.typed_per_filter_config === undefined)).toBe(true);
  });
});

describe("limits in the rendered listener", () => {
  it("buffers request bodies up to limits.maxBodyBytes (not Envoy's 1 MiB default)", () => {
    const big = parseConfig(
      'version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp" }\nlimits: { maxBodyBytes: 6291456 }\n',
      {},
    );
    const listener = (renderEnvoyConfig(big) as { static_resources: { listeners: Record<string, unknown>[] } })
      .static_resources.listeners[0];
    expect(listener?.["per_connection_buffer_limit_bytes"]).toBe(6_291_456);
  });
});

describe("messageTimeoutMs", () => {
  // Envoy must wait for the router while it creates a backend session, or it fails the call without a JSON-RPC body.
  it.each([
    ["4s", 5_000],
    ["10s", 11_000],
  ])("backendInitTimeout %s → message_timeout of %i ms", (init, timeout) => {
    const yaml = `version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp" }\nsessions: { backendInitTimeout: ${init} }\n`;
    expect(messageTimeoutMs(parseConfig(yaml, {}), DEFAULT_RENDER_OPTIONS)).toBe(timeout);
  });
});

describe("headerCapKb", () => {
  // Envoy's codec cap sits at twice the router's exact limit: oversize headers up to there get the router's JSON-RPC
  // 431 (Envoy's own 431 is lost through ext_proc when its codec closes the connection).
  it.each([
    [8192, 16],
    [16_384, 32],
    [1000, 2],
    [1, 1],
    [10_000_000, 8192],
  ])("maxHeaderBytes %i → %i KiB", (maxHeaderBytes, kb) => {
    expect(headerCapKb(maxHeaderBytes)).toBe(kb);
  });
});

describe("committed envoy/envoy.yaml", () => {
  it("is the render of examples/gateway.yaml (re-render with `mcp-gateway render-envoy examples/gateway.yaml --out envoy/envoy.yaml`)", async () => {
    const example = await loadConfigFile(resolve(ROOT, "examples/gateway.yaml"), {});
    const committed = readFileSync(resolve(ROOT, "envoy/envoy.yaml"), "utf8");
    expect(parse(committed)).toEqual(parse(renderEnvoyYaml(example, "examples/gateway.yaml")));
  });
});

describe("a stdio server (servers[].command)", () => {
  it("is routed like any upstream, to a plain-HTTP cluster at the gateway's stdio bridge", () => {
    const stdio = parseConfig(
      'version: 1\nauth: none\nstdioBridge: { listen: "127.0.0.1:7082" }\nservers:\n  - { name: mem, command: mcp-server-memory }\n',
      {},
    );
    const out = renderEnvoyConfig(stdio) as Rendered;
    const routes = out.static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config.route_config;
    expect(routes.virtual_hosts[0]!.routes.slice(LLM_PATHS.length).map((r) => r.route.cluster)).toEqual([
      "mcp_server_mem",
      BROKER_CLUSTER,
    ]);
    const cluster = out.static_resources.clusters.find((c) => c.name === "mcp_server_mem") as
      (Rendered["static_resources"]["clusters"][number] & { load_assignment?: { endpoints: unknown[] } }) | undefined;
    expect(cluster?.transport_socket).toBeUndefined();
    expect(cluster?.load_assignment?.endpoints).toEqual([
      { lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: 7082 } } } }] },
    ]);
  });
});
