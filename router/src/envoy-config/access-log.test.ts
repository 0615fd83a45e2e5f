import { ACCESS_LOG_FIELDS, parseConfig } from "@mcp-gateway/core";
import { accessLogs, ACCESS_LOG_FORMAT, extProcMetadataOptions } from "./access-log";
import { renderEnvoyConfig } from "./render-envoy";

const configWith = (envoy: string): ReturnType<typeof parseConfig> =>
  parseConfig(`version: 1\nauth: none\nservers:\n  - { name: a, url: "http://a:1/mcp" }\n${envoy}\n`, {});

type Hcm = { access_log: { name: string; typed_config: Record<string, unknown> }[]; http_filters: object[] };
const hcmOf = (config: object): Hcm =>
  (config as { static_resources: { listeners: { filter_chains: { filters: { typed_config: Hcm }[] }[] }[] } })
    .static_resources.listeners[0]!.filter_chains[0]!.filters[0]!.typed_config;

describe("the rendered access log", () => {
  it("writes JSON lines to stdout by default, with every MCP field from the router's metadata namespace", () => {
    const [log] = hcmOf(renderEnvoyConfig(configWith(""))).access_log;
    expect(log?.name).toBe("envoy.access_loggers.stdout");
    expect(log?.typed_config["log_format"]).toEqual({ json_format: ACCESS_LOG_FORMAT });
    for (const field of ["method", "server", "target", "consumer", "session", "decision", "reason"]) {
      expect(ACCESS_LOG_FORMAT[`mcp_${field}`]).toBe(`%DYNAMIC_METADATA(mcp_gateway:${field})%`);
    }
  });

  it("has every field of the gateway's own access log, under the same name (one query reads both)", () => {
    expect(Object.keys(ACCESS_LOG_FORMAT)).toEqual(expect.arrayContaining([...ACCESS_LOG_FIELDS]));
    expect(ACCESS_LOG_FORMAT["trace_id"]).toBe("%TRACE_ID%");
    expect(ACCESS_LOG_FORMAT["jsonrpc_id"]).toBe("%DYNAMIC_METADATA(mcp_gateway:jsonrpc_id)%");
  });

  it("caps the values Envoy takes from client headers", () => {
    expect(ACCESS_LOG_FORMAT["path"]).toMatch(/^%REQ\(:PATH\):\d+%$/);
    expect(ACCESS_LOG_FORMAT["request_id"]).toMatch(/^%REQ\(X-REQUEST-ID\):\d+%$/);
    expect(ACCESS_LOG_FORMAT["method"]).toMatch(/^%REQ\(:METHOD\):\d+%$/);
  });

  it("writes to a file or not at all when configured", () => {
    const [file] = accessLogs(configWith("envoy: { accessLog: /var/log/envoy/mcp.log }")) as Hcm["access_log"];
    expect(file?.name).toBe("envoy.access_loggers.file");
    expect(file?.typed_config["path"]).toBe("/var/log/envoy/mcp.log");
    expect(accessLogs(configWith('envoy: { accessLog: "off" }'))).toEqual([]);
  });

  it.each(["relative/path.log", "", "/var/log/a\nb.log"])("refuses envoy.accessLog %j", (value) => {
    expect(() => configWith(`envoy: { accessLog: ${JSON.stringify(value)} }`)).toThrow(/envoy\.accessLog/);
  });

  it("lets the ext_proc filter write the router's namespace and no other", () => {
    const filter = hcmOf(renderEnvoyConfig(configWith(""))).http_filters[0] as { typed_config: object };
    expect(filter.typed_config).toMatchObject(extProcMetadataOptions());
    expect(extProcMetadataOptions()).toEqual({
      metadata_options: { receiving_namespaces: { untyped: ["mcp_gateway"] } },
    });
  });
});
