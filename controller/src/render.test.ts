import { parse } from "yaml";
import { parseConfig } from "@mcp-gateway/core";
import {
  assignShards,
  extProcTimeoutMs,
  MAX_RULES_PER_ROUTE,
  renderConfig,
  renderDirectRoute,
  renderExtProc,
  renderHttpRoute,
  shardIndex,
  shardName,
  type RouteSettings,
  type RoutedServer,
} from "./render";

const settings: RouteSettings = {
  namespace: "mcp",
  name: "mcp-gateway",
  gateway: { name: "gw", namespace: "infra" },
  broker: { service: "mcp-gateway-broker", port: 8081 },
  router: { service: "mcp-gateway-router", port: 9000 },
  extProc: "envoy-gateway",
};

describe("rendering", () => {
  it("adds MCPServer servers, sorted by name, after the base config's own", () => {
    const text = renderConfig({ version: 1, servers: [{ name: "static", url: "http://s/mcp" }] }, [
      { name: "b", url: "http://b/mcp" },
      { name: "a", url: "http://a/mcp" },
    ]);
    expect((parse(text) as { servers: { name: string }[] }).servers.map((s) => s.name)).toEqual(["static", "a", "b"]);
  });

  it("renders servers: [] when no server is left, a config the gateway accepts (never the last one kept)", () => {
    const text = renderConfig({ version: 1, auth: "none" }, []);
    expect(parse(text)).toEqual({ version: 1, auth: "none", servers: [] });
    expect(parseConfig(text, {}).servers).toEqual([]);
  });

  it("renders only the broker's rule for no servers", () => {
    const route = renderHttpRoute(settings, []) as { spec: { rules: { backendRefs: { name: string }[] }[] } };
    expect(route.spec.rules.map((r) => r.backendRefs.map((b) => b.name))).toEqual([["mcp-gateway-broker"]]);
  });

  it("routes each server by x-destination-mcp and everything else to the broker", () => {
    const route = renderHttpRoute(settings, [
      { name: "w", service: "weather", port: 80, path: "/mcp", timeout: "5s" },
    ]) as {
      spec: {
        parentRefs: unknown[];
        rules: { matches: { headers?: unknown[] }[]; backendRefs: unknown[]; timeouts?: unknown }[];
      };
    };
    expect(route.spec.parentRefs).toEqual([{ name: "gw", namespace: "infra" }]);
    expect(route.spec.rules[0]?.matches[0]?.headers).toEqual([
      { type: "Exact", name: "x-destination-mcp", value: "w" },
    ]);
    expect(route.spec.rules[0]?.timeouts).toEqual({ request: "5s" });
    expect(route.spec.rules[1]?.backendRefs).toEqual([{ name: "mcp-gateway-broker", port: 8081 }]);
  });

  it("sends /mcp and the protected resource metadata to the broker through ext_proc, without a request timeout", () => {
    const route = renderHttpRoute(settings, []) as { spec: { rules: { matches: unknown[]; timeouts?: unknown }[] } };
    expect(route.spec.rules).toEqual([
      expect.objectContaining({
        matches: [
          { path: { type: "PathPrefix", value: "/mcp" } },
          { path: { type: "PathPrefix", value: "/.well-known/oauth-protected-resource" } },
        ],
        timeouts: { request: "0s" },
      }),
    ]);
  });

  it("routes /ui and /v1 to the broker on a second HTTPRoute, which the ext_proc policy does not target", () => {
    const direct = renderDirectRoute(settings) as {
      metadata: { name: string };
      spec: { parentRefs: unknown[]; rules: unknown[] };
    };
    expect(direct.metadata.name).toBe("mcp-gateway-direct");
    expect(direct.spec.parentRefs).toEqual([{ name: "gw", namespace: "infra" }]);
    const broker = [{ name: "mcp-gateway-broker", port: 8081 }];
    expect(direct.spec.rules).toEqual([
      { matches: [{ path: { type: "PathPrefix", value: "/ui" } }], backendRefs: broker, timeouts: { request: "15s" } },
      { matches: [{ path: { type: "PathPrefix", value: "/v1" } }], backendRefs: broker, timeouts: { request: "0s" } },
    ]);
    const policy = renderExtProc(settings) as { spec: { targetRefs: { name: string }[] } };
    expect(policy.spec.targetRefs.map((t) => t.name)).toEqual(["mcp-gateway"]);
  });

  it.each([
    ["envoy-gateway", "EnvoyExtensionPolicy"],
    ["istio", "EnvoyFilter"],
  ] as const)("attaches ext_proc for %s as an %s", (mode, kind) => {
    expect(renderExtProc({ ...settings, extProc: mode })).toMatchObject({ kind });
  });

  it("attaches nothing for none", () => {
    expect(renderExtProc({ ...settings, extProc: "none" })).toBeUndefined();
  });

  describe("sharding the server rules over HTTPRoutes of at most 16 rules", () => {
    const server = (n: number): RoutedServer => ({
      name: `s${String(n).padStart(3, "0")}`,
      service: "svc",
      port: 80,
      path: "/mcp",
    });
    const servers = (count: number) => Array.from({ length: count }, (_, n) => server(n));
    const names = (shards: RoutedServer[][]) => shards.map((shard) => shard.map((s) => s.name));
    type Rendered = { metadata: { name: string }; spec: { rules: unknown[] } };

    it("keeps 15 servers and the broker rule in the first route, and moves the 16th to a second", () => {
      expect(assignShards(servers(15)).map((s) => s.length)).toEqual([15]);
      expect(assignShards(servers(16)).map((s) => s.length)).toEqual([15, 1]);
      expect(assignShards(servers(40)).map((s) => s.length)).toEqual([15, 16, 9]);
      const shards = assignShards(servers(40));
      const routes = shards.map((shard, index) => renderHttpRoute(settings, shard, index) as Rendered);
      expect(routes.map((r) => r.metadata.name)).toEqual(["mcp-gateway", "mcp-gateway-2", "mcp-gateway-3"]);
      expect(routes.map((r) => r.spec.rules.length)).toEqual([16, 16, 9]);
      for (const route of routes) expect(route.spec.rules.length).toBeLessThanOrEqual(MAX_RULES_PER_ROUTE);
    });

    it("never moves a placed server: a new one fills the first gap, a removed one leaves its shard's others be", () => {
      const before = assignShards(servers(40));
      const placed = new Map(before.flatMap((shard, index) => shard.map((s) => [s.name, index] as const)));
      // A new server sorting first goes where there is room; nobody else moves (a plain re-sort would move 25).
      const added = assignShards([{ ...server(0), name: "a-first" }, ...servers(40)], placed);
      expect(names(added).slice(0, 2)).toEqual(names(before).slice(0, 2));
      expect(names(added)[2]).toEqual([...(names(before)[2] ?? []), "a-first"]);
      // Removing the whole second shard's servers leaves it empty (to delete) and the third where it was.
      const kept = servers(40).filter((s) => !names(before)[1]?.includes(s.name));
      const shrunk = assignShards(kept, placed);
      expect(names(shrunk)).toEqual([names(before)[0], [], names(before)[2]]);
    });

    it("skips shard names another owner's route holds, and refills overfull or unknown placements in order", () => {
      const shards = assignShards(servers(20), new Map(), new Set([1]));
      expect(shards.map((s) => s.length)).toEqual([15, 0, 5]);
      // 17 servers claiming shard 2 (as a hand-edited route could say): 16 stay, one goes to the first room.
      const claimed = new Map(servers(17).map((s) => [s.name, 1] as const));
      expect(assignShards(servers(17), claimed).map((s) => s.length)).toEqual([1, 16]);
    });

    it("names the shards <name>, <name>-2, … and recognises only those names", () => {
      expect([0, 1, 9].map((i) => shardName(settings, i))).toEqual(["mcp-gateway", "mcp-gateway-2", "mcp-gateway-10"]);
      expect(shardIndex(settings, "mcp-gateway")).toBe(0);
      expect(shardIndex(settings, "mcp-gateway-2")).toBe(1);
      expect(shardIndex(settings, "mcp-gateway-10")).toBe(9);
      for (const name of ["mcp-gateway-1", "mcp-gateway-02", "mcp-gateway-direct", "mcp-gateway-2x", "other-2"]) {
        expect([name, shardIndex(settings, name)]).toEqual([name, undefined]);
      }
    });

    it("refuses to render a shard with more servers than rules allow (clear error, not an API server 422)", () => {
      expect(() => renderHttpRoute(settings, servers(16), 0)).toThrow(/mcp-gateway: 16 servers exceed/);
      expect(() => renderHttpRoute(settings, servers(17), 1)).toThrow(/mcp-gateway-2: 17 servers exceed/);
    });

    it("targets every shard from the Envoy Gateway policy", () => {
      const policy = renderExtProc(settings, ["mcp-gateway", "mcp-gateway-2"]) as {
        spec: { targetRefs: { name: string }[] };
      };
      expect(policy.spec.targetRefs.map((t) => t.name)).toEqual(["mcp-gateway", "mcp-gateway-2"]);
    });
  });
});

describe("the ext_proc attachment's settings (render-envoy's, as far as each API has them)", () => {
  type Policy = { spec: { extProc: Record<string, unknown>[] } };
  type Filter = { spec: { configPatches: { patch: { value: { typed_config: Record<string, unknown> } } }[] } };
  const policyOf = (extra: Partial<RouteSettings> = {}) =>
    (renderExtProc({ ...settings, ...extra }) as Policy).spec.extProc[0];
  const filterOf = (extra: Partial<RouteSettings> = {}) =>
    (renderExtProc({ ...settings, extProc: "istio", ...extra }) as Filter).spec.configPatches[0]?.patch.value
      .typed_config;

  it("gives Envoy Gateway's policy the timeout, client address, metadata namespace and processing mode", () => {
    expect(policyOf()).toEqual({
      backendRefs: [{ name: "mcp-gateway-router", port: 9000 }],
      processingMode: {
        request: { body: "Buffered", attributes: ["source.address"] },
        response: {},
        allowModeOverride: true,
      },
      metadata: { writableNamespaces: ["mcp_gateway"] },
      messageTimeout: "5s",
      failOpen: false,
    });
  });

  it("gives Istio's filter the timeout, client address, metadata namespace and every processing mode", () => {
    expect(filterOf()).toEqual({
      "@type": "type.googleapis.com/envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor",
      grpc_service: { envoy_grpc: { cluster_name: "outbound|9000||mcp-gateway-router.mcp.svc.cluster.local" } },
      failure_mode_allow: false,
      allow_mode_override: true,
      message_timeout: "5s",
      mutation_rules: { allow_all_routing: true },
      metadata_options: { receiving_namespaces: { untyped: ["mcp_gateway"] } },
      request_attributes: ["source.address"],
      processing_mode: {
        request_header_mode: "SEND",
        request_body_mode: "BUFFERED",
        response_header_mode: "SEND",
        response_body_mode: "NONE",
        request_trailer_mode: "SKIP",
        response_trailer_mode: "SKIP",
      },
    });
  });

  it.each([
    [4_500, "4500ms", "4.5s"],
    [11_000, "11s", "11s"],
    [120_500, "121s", "120.5s"],
  ])("spells a %d ms timeout as each API wants it (%s, %s)", (ms, gateway, istio) => {
    expect(policyOf({ messageTimeoutMs: ms })?.messageTimeout).toBe(gateway);
    expect(filterOf({ messageTimeoutMs: ms })?.message_timeout).toBe(istio);
  });

  it.each([
    ["no sessions section", {}, 5_000],
    ["the default backendInitTimeout", { sessions: { backendInitTimeout: "4s" } }, 5_000],
    ["a longer backendInitTimeout", { sessions: { backendInitTimeout: "10s" } }, 11_000],
    ["a number of seconds", { sessions: { backendInitTimeout: 9 } }, 10_000],
    ["an ${env:…} reference the controller does not resolve", { sessions: { backendInitTimeout: "${env:T}" } }, 5_000],
  ])("takes the timeout from the base config as render-envoy does: %s", (_, base, ms) => {
    expect(extProcTimeoutMs(base)).toBe(ms);
  });
});
