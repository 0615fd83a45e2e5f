import { JsonRpcErrorCode, parseConfig } from "@mcp-gateway/core";
import { edgeSettings } from "./edge-settings";
import { listenerTls } from "./listener-tls";
import { localReplyConfig, ROUTER_DETAILS_PREFIX } from "./local-replies";
import { renderEnvoyConfig } from "./render-envoy";

const gateway = (extra = ""): ReturnType<typeof parseConfig> =>
  parseConfig(`version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp" }\n${extra}`, {});

type Mapper = {
  filter: { extension_filter?: { typed_config: { expression: string } }; response_flag_filter?: { flags: string[] } };
  status_code?: number;
  body_format_override?: { json_format: { error: { code: number } }; content_type: string };
};
const mappers = (localReplyConfig() as { mappers: Mapper[] }).mappers;
const expression = (m: Mapper): string | undefined => m.filter.extension_filter?.typed_config.expression;

describe("localReplyConfig", () => {
  it("first passes the router's own replies through untouched", () => {
    expect(expression(mappers[0]!)).toBe(`response.code_details.startsWith('${ROUTER_DETAILS_PREFIX}')`);
    expect(mappers[0]).toEqual({ filter: mappers[0]!.filter });
  });

  it.each<[string, (m: Mapper) => boolean, number]>([
    ["ext_proc failures", (m) => expression(m)?.includes("'ext_proc'") === true, JsonRpcErrorCode.UpstreamUnavailable],
    ["route timeouts (UT)", (m) => m.filter.response_flag_filter?.flags.includes("UT") === true, -31004],
    ["unreachable upstreams (UF, UH)", (m) => m.filter.response_flag_filter?.flags.includes("UF") === true, -31001],
    ["413", (m) => expression(m) === "response.code == 413", JsonRpcErrorCode.RequestTooLarge],
    ["other 4xx", (m) => expression(m)?.includes(">= 400") === true, JsonRpcErrorCode.InvalidRequest],
    ["anything else", (m) => expression(m) === "true", JsonRpcErrorCode.InternalError],
  ])("maps %s to a JSON-RPC error body", (_name, pick, code) => {
    const mapper = mappers.find(pick);
    expect(mapper?.body_format_override).toEqual({
      json_format: { jsonrpc: "2.0", id: null, error: { code, message: expect.any(String) } },
      content_type: "application/json",
    });
  });

  it("answers an ext_proc failure with a retryable 503", () => {
    expect(mappers.find((m) => expression(m)?.includes("'ext_proc'"))?.status_code).toBe(503);
  });

  it("ends with the catch-all", () => {
    expect(expression(mappers[mappers.length - 1]!)).toBe("true");
  });
});

describe("edgeSettings", () => {
  it("keeps paths exact, refuses escaped slashes, trusts the TCP peer and bounds receiving a request", () => {
    expect(edgeSettings(gateway())).toEqual({
      normalize_path: false,
      merge_slashes: false,
      path_with_escaped_slashes_action: "REJECT_REQUEST",
      use_remote_address: true,
      xff_num_trusted_hops: 0,
      request_timeout: "30s",
      request_headers_timeout: "30s",
    });
  });

  it("takes envoy.xffTrustedHops and limits.requestTimeout", () => {
    expect(edgeSettings(gateway("envoy: { xffTrustedHops: 2 }\nlimits: { requestTimeout: 1500ms }\n"))).toMatchObject({
      xff_num_trusted_hops: 2,
      request_timeout: "1.5s",
      request_headers_timeout: "1.5s",
    });
  });
});

describe("listenerTls", () => {
  it("renders nothing without envoy.tls (plain HTTP)", () => {
    expect(listenerTls(gateway())).toEqual({});
  });

  it.each([
    ["", "TLSv1_2"],
    ["minVersion: '1.3', ", "TLSv1_3"],
  ])("renders a DownstreamTlsContext (%s→ %s) with ALPN h2 and http/1.1", (min, version) => {
    const config = gateway(`envoy: { tls: { ${min}certificateFile: /tls/cert.pem, keyFile: /tls/key.pem } }\n`);
    expect(listenerTls(config)).toEqual({
      transport_socket: {
        name: "envoy.transport_sockets.tls",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
          common_tls_context: {
            tls_params: { tls_minimum_protocol_version: version },
            alpn_protocols: ["h2", "http/1.1"],
            tls_certificates: [
              { certificate_chain: { filename: "/tls/cert.pem" }, private_key: { filename: "/tls/key.pem" } },
            ],
          },
        },
      },
    });
  });

  it("is the listener's filter chain transport socket in the render", () => {
    const rendered = renderEnvoyConfig(gateway("envoy: { tls: { certificateFile: /c.pem, keyFile: /k.pem } }\n")) as {
      static_resources: { listeners: { filter_chains: { transport_socket?: { name: string } }[] }[] };
    };
    expect(rendered.static_resources.listeners[0]!.filter_chains[0]!.transport_socket?.name).toBe(
      "envoy.transport_sockets.tls",
    );
  });

  it.each([
    ["a relative certificate path", "envoy: { tls: { certificateFile: cert.pem, keyFile: /k.pem } }", /absolute path/],
    ["a missing key", "envoy: { tls: { certificateFile: /c.pem } }", /keyFile/],
    ["TLS 1.1", "envoy: { tls: { certificateFile: /c.pem, keyFile: /k.pem, minVersion: '1.1' } }", /minVersion/],
    ["negative trusted hops", "envoy: { xffTrustedHops: -1 }", /xffTrustedHops/],
    ["an unknown key", "envoy: { tlss: {} }", /tlss/],
  ])("config refuses %s", (_name, yaml, message) => {
    expect(() => gateway(`${yaml}\n`)).toThrow(message);
  });
});
