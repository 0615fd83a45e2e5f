import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { renderEnvoyConfig } from "@mcp-gateway/router";
import { stringify } from "yaml";
import { validateEnvoyConfig } from "../support/envoy-process";
import { makeSelfSigned } from "../support/self-signed";

// Envoy itself (`envoy --mode validate`, the pinned release) is the judge of every Envoy config the project ships or
// renders: the committed ones, the CLI's render of every example gateway config, and renders of test-style configs
// with TLS upstreams, per-server timeouts and header caps.
const ROOT = resolve(__dirname, "..", "..", "..");
// The session secret, and the upstream credentials examples/upstreams-and-endpoints.yaml reads from the environment.
const SECRET = {
  MCP_GATEWAY_SESSION_SECRET: "validate-test-secret-0123456789abcdef",
  UPSTREAM_CLIENT_SECRET: "validate-test-client-secret",
  HUBSPOT_REFRESH_TOKEN: "validate-test-refresh-token",
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "envoy-validate-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectValid(path: string): void {
  const { ok, output } = validateEnvoyConfig(path);
  if (!ok) throw new Error(`envoy --mode validate rejected ${path}:\n${output}`);
  expect(output).toContain("OK");
}

function writeRender(name: string, config: object): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, stringify(config, { lineWidth: 0 }));
  return path;
}

describe("envoy --mode validate", () => {
  it.each(["envoy/envoy.yaml", "examples/compose/envoy.yaml"])("accepts the committed %s", (file) => {
    expectValid(resolve(ROOT, file));
  });

  it.each([
    "examples/gateway.yaml",
    "examples/compose/gateway.yaml",
    "examples/stdio-gateway.yaml",
    "examples/upstreams-and-endpoints.yaml",
  ])("accepts `mcp-gateway render-envoy %s`", (file) => {
    const out = join(dir, `${file.replace(/\W/g, "_")}.envoy.yaml`);
    const cli = spawnSync(process.execPath, [resolve(ROOT, "cli/dist/main.js"), "render-envoy", file, "--out", out], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...SECRET },
    });
    expect(cli.stderr).toBe("");
    expect(cli.status).toBe(0);
    expectValid(out);
  });

  it.each<[string, string]>([
    [
      "TLS upstreams (host names and an IPv6 literal), per-server timeouts, header cap and idle timeout",
      `servers:
  - { name: weather, url: "http://127.0.0.1:9101/mcp" }
  - { name: github-tools, url: "https://api.example.com/mcp", prefix: gh_, timeout: 2.5s }
  - { name: v6, url: "https://[::1]:8443/mcp", timeout: 30s }
limits: { maxHeaderBytes: 8192, streamIdleTimeout: 10s, maxBodyBytes: 65536 }`,
    ],
    ["the largest header cap", `servers:\n  - { name: a, url: "http://a:1/mcp" }\nlimits: { maxHeaderBytes: 9000000 }`],
    [
      // Envoy opens the file while validating: a writable path.
      "an access log to a file",
      `servers:\n  - { name: a, url: "http://a:1/mcp" }\nenvoy: { accessLog: ${join(tmpdir(), "mcp-envoy-validate-access.log")} }`,
    ],
    ["no access log", `servers:\n  - { name: a, url: "http://a:1/mcp" }\nenvoy: { accessLog: "off" }`],
    [
      "tracing to an http collector",
      `servers:\n  - { name: a, url: "http://a:1/mcp" }\ntracing: { enabled: true, endpoint: "http://collector:4318", sampleRatio: 0.25, headers: { x-api-key: k } }`,
    ],
    [
      "tracing to an https collector",
      `servers:\n  - { name: a, url: "http://a:1/mcp" }\ntracing: { enabled: true, endpoint: "https://otel.example.com/v1/traces" }`,
    ],
    [
      "a body limit above Envoy's 1 MiB buffer",
      `servers:\n  - { name: a, url: "http://a:1/mcp" }\nlimits: { maxBodyBytes: 8388608 }`,
    ],
  ])("accepts the render of a gateway config with %s", (name, body) => {
    const config = parseConfig(`version: 1\nauth: none\n${body}\n`, {});
    expectValid(writeRender(name.replace(/\W+/g, "-"), renderEnvoyConfig(config)));
  });
});

describe("envoy --mode validate on the edge settings", () => {
  it.each(["1.2", "1.3"])(
    "accepts a render with a TLS listener (minimum TLS %s), trusted proxy hops and a request timeout",
    async (minVersion) => {
      const tls = await makeSelfSigned();
      try {
        const yaml = `servers:\n  - { name: a, url: "http://a:1/mcp" }\nlimits: { requestTimeout: 2500ms }\nenvoy: { xffTrustedHops: 2, tls: { certificateFile: "${tls.certificateFile}", keyFile: "${tls.keyFile}", minVersion: "${minVersion}" } }`;
        const config = parseConfig(`version: 1\nauth: none\n${yaml}\n`, {});
        expectValid(writeRender(`tls-${minVersion}`, renderEnvoyConfig(config)));
      } finally {
        await tls.remove();
      }
    },
  );

  it("rejects a TLS listener whose certificate file is missing", () => {
    const yaml = `servers:\n  - { name: a, url: "http://a:1/mcp" }\nenvoy: { tls: { certificateFile: /nonexistent/cert.pem, keyFile: /nonexistent/key.pem } }`;
    const config = parseConfig(`version: 1\nauth: none\n${yaml}\n`, {});
    const { ok, output } = validateEnvoyConfig(writeRender("tls-missing", renderEnvoyConfig(config)));
    expect(ok).toBe(false);
    expect(output).toMatch(/nonexistent\/(cert|key)\.pem/);
  });
});

describe("Envoy's native MCP filters", () => {
  // The yardstick of docs/envoy-mode.md and `npm run bench:envoy`: the pinned binary has them (work in progress upstream).
  it("are in the pinned binary: a config with envoy.filters.http.mcp and mcp_router validates", () => {
    const config = {
      static_resources: {
        listeners: [
          {
            name: "native",
            address: { socket_address: { address: "127.0.0.1", port_value: 0 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: "envoy.filters.network.http_connection_manager",
                    typed_config: {
                      "@type":
                        "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                      stat_prefix: "native",
                      route_config: { virtual_hosts: [{ name: "a", domains: ["*"], routes: [] }] },
                      http_filters: [
                        {
                          name: "envoy.filters.http.mcp",
                          typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.mcp.v3.Mcp" },
                        },
                        {
                          name: "envoy.filters.http.mcp_router",
                          typed_config: {
                            "@type": "type.googleapis.com/envoy.extensions.filters.http.mcp_router.v3.McpRouter",
                            servers: [{ name: "weather", mcp_cluster: { cluster: "weather", path: "/mcp" } }],
                          },
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
        clusters: [{ name: "weather", type: "STATIC", load_assignment: { cluster_name: "weather", endpoints: [] } }],
      },
    };
    expectValid(writeRender("native-mcp", config));
  });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const hcmOf = (c: Json): Json => c.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
const extProcOf = (c: Json): Json => hcmOf(c).http_filters[0].typed_config;
const socketOf = (c: Json): Json =>
  c.static_resources.clusters[0].load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address;

// What the former protobufjs checker caught (it was removed: Envoy rejects all of it), and what it could not see.
describe("envoy --mode validate rejects a broken render", () => {
  const base = parseConfig(
    'version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://weather:9101/mcp" }\n  - { name: secure, url: "https://api.example.com/mcp" }\n',
    {},
  );
  it.each<[string, (c: Json) => void, RegExp]>([
    ["an unknown field", (c) => (c.static_resources.listeners[0].adress = {}), /adress/],
    ["a wrong enum value", (c) => (hcmOf(c).codec_type = "HTTP4"), /HTTP4/],
    ["a malformed duration", (c) => (hcmOf(c).stream_idle_timeout = "5 minutes"), /INVALID_ARGUMENT|duration/i],
    ["a string port", (c) => (socketOf(c).port_value = "x"), /INVALID_ARGUMENT|port_value/],
    [
      "an unknown @type",
      (c) => (hcmOf(c).http_filters[1].typed_config["@type"] = "type.googleapis.com/envoy.Nope"),
      /envoy\.Nope/,
    ],
    ["a bad enum inside an Any", (c) => (extProcOf(c).processing_mode.request_body_mode = "WHOLE"), /WHOLE/],
    [
      "a route to an undefined cluster",
      (c) => (hcmOf(c).route_config.virtual_hosts[0].routes[0].route.cluster = "ghost"),
      /unknown cluster 'ghost'/,
    ],
    ["ext_proc after the router", (c) => hcmOf(c).http_filters.reverse(), /terminal filter/],
    [
      "two members of a oneof",
      (c) => (extProcOf(c).grpc_service.google_grpc = { target_uri: "x", stat_prefix: "y" }),
      /INVALID_ARGUMENT|oneof/i,
    ],
    ["a message_timeout out of range", (c) => (extProcOf(c).message_timeout = "4000s"), /MessageTimeout/],
    ["a header cap out of range", (c) => (hcmOf(c).max_request_headers_kb = 9000), /MaxRequestHeadersKb/],
    ["a port out of range", (c) => (socketOf(c).port_value = 70_000), /validation failed/],
    [
      "a missing CA bundle",
      (c) =>
        (c.static_resources.clusters[3].transport_socket.typed_config.common_tls_context.validation_context.trusted_ca.filename =
          "/nonexistent/ca.crt"),
      /Invalid path: \/nonexistent\/ca\.crt/,
    ],
  ])("with %s", (name, mutate, expected) => {
    const broken = JSON.parse(JSON.stringify(renderEnvoyConfig(base))) as Json;
    mutate(broken);
    const { ok, output } = validateEnvoyConfig(writeRender(`broken-${name.replace(/\W+/g, "-")}`, broken));
    expect(ok).toBe(false);
    expect(output).toMatch(expected);
  });
});
