import { parse } from "yaml";
import { renderConfig, renderDirectRoute, renderExtProc, renderHttpRoute, type RouteSettings } from "./render";

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
});
