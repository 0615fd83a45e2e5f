import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { parse } from "yaml";
import { checkEnvoyConfig } from "./check-envoy";
import { renderEnvoyConfig } from "./render-envoy";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

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
      "an unknown field",
      (c) => (c.static_resources.listeners[0].adress = {}),
      'static_resources.listeners[0].adress: no field "adress" in envoy.config.listener.v3.Listener',
    ],
    [
      "a wrong enum value",
      (c) => (hcmOf(c).codec_type = "HTTP4"),
      '"HTTP4" is not a value of envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType',
    ],
    [
      "a field named after an Object.prototype member",
      (c) => (c.static_resources.listeners[0].constructor = {}),
      'static_resources.listeners[0].constructor: no field "constructor" in envoy.config.listener.v3.Listener',
    ],
    [
      "an enum value named after an Object.prototype member",
      (c) => (hcmOf(c).codec_type = "toString"),
      '"toString" is not a value of envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.CodecType',
    ],
    [
      "a malformed duration",
      (c) => (hcmOf(c).stream_idle_timeout = "5 minutes"),
      'stream_idle_timeout: expected a duration like "5s"',
    ],
    [
      "a string port",
      (c) =>
        (c.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value =
          "x"),
      "port_value: expected an integer",
    ],
    [
      "an unknown @type",
      (c) => (hcmOf(c).http_filters[1].typed_config["@type"] = "type.googleapis.com/envoy.Nope"),
      "unknown message envoy.Nope",
    ],
    [
      "a bad field inside an Any",
      (c) => (hcmOf(c).http_filters[0].typed_config.processing_mode.request_body_mode = "WHOLE"),
      '"WHOLE" is not a value of envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode',
    ],
    [
      "a route to an undefined cluster",
      (c) => (hcmOf(c).route_config.virtual_hosts[0].routes[0].route.cluster = "ghost"),
      'names undefined cluster "ghost"',
    ],
    [
      "ext_proc after the router",
      (c) => hcmOf(c).http_filters.reverse(),
      "must run envoy.filters.http.ext_proc before envoy.filters.http.router",
    ],
  ])("reports %s", (_what, mutate, expected) => {
    const broken = fresh();
    mutate(broken);
    expect(checkEnvoyConfig(broken).join("\n")).toContain(expected);
  });
});
