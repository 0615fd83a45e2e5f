import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { parse } from "yaml";
import { checkEnvoyConfig } from "./check-envoy";
import { renderEnvoyConfig } from "./render-envoy";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

// Envoy's own validation (test/src/deploy/envoy-validate.test.ts) covers the Envoy API; these are the gateway
// invariants it accepts.
const ROOT = resolve(__dirname, "..", "..", "..");
const config = parseConfig(
  'version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://weather:9101/mcp" }\n  - { name: secure, url: "https://api.example.com/mcp" }\n',
  {},
);
const fresh = (): Json => JSON.parse(JSON.stringify(renderEnvoyConfig(config))) as Json;
const hcmOf = (c: Json): Json => c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;

describe("checkEnvoyConfig", () => {
  it("accepts the rendered config (http and https upstreams)", () => {
    expect(checkEnvoyConfig(fresh())).toEqual([]);
  });

  it("accepts the committed envoy/envoy.yaml", () => {
    expect(checkEnvoyConfig(parse(readFileSync(resolve(ROOT, "envoy/envoy.yaml"), "utf8")))).toEqual([]);
  });

  it.each<[string, (c: Json) => void, string]>([
    [
      "no ext_proc filter (Envoy accepts it; requests would bypass the router)",
      (c) => hcmOf(c).http_filters.shift(),
      "must run envoy.filters.http.ext_proc before envoy.filters.http.router",
    ],
    [
      "an undefined ext_proc cluster (Envoy accepts it; every request would fail)",
      (c) => (hcmOf(c).http_filters[0].typed_config.grpc_service.envoy_grpc.cluster_name = "ghost"),
      'ext_proc cluster "ghost" is not defined',
    ],
  ])("reports %s", (_what, mutate, expected) => {
    const broken = fresh();
    mutate(broken);
    expect(checkEnvoyConfig(broken).join("\n")).toContain(expected);
  });
});
