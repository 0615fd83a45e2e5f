import { parseConfig } from "@mcp-gateway/core";
import { renderEnvoyConfig, ROUTER_CLUSTER } from "./render-envoy";
import { ROUTER_STREAMS_PER_CONNECTION } from "./router-cluster";

type Options = {
  common_http_protocol_options?: { max_requests_per_connection?: number };
  explicit_http_config?: { http2_protocol_options?: object };
};
type Cluster = { name: string; typed_extension_protocol_options?: Record<string, Options> };

const OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
// nghttp2's reset burst in Node's HTTP/2 server: past it the router's connection is refused with a GOAWAY.
const NODE_HTTP2_RESET_BURST = 1000;

describe("the rendered router cluster", () => {
  const yaml = `version: 1\nauth: none\nservers:\n  - { name: weather, url: "http://weather:9101/mcp" }\n`;
  const clusters = (renderEnvoyConfig(parseConfig(yaml, {})) as { static_resources: { clusters: Cluster[] } })
    .static_resources.clusters;
  const options = clusters.find((c) => c.name === ROUTER_CLUSTER)?.typed_extension_protocol_options?.[OPTIONS];

  it("speaks HTTP/2 (gRPC)", () => {
    expect(options?.explicit_http_config).toEqual({ http2_protocol_options: {} });
  });

  it("moves to a fresh connection well before Node's HTTP/2 reset burst", () => {
    const max = options?.common_http_protocol_options?.max_requests_per_connection;
    expect(max).toBe(ROUTER_STREAMS_PER_CONNECTION);
    expect(max).toBeLessThanOrEqual(NODE_HTTP2_RESET_BURST / 2);
  });
});
