import { createGatewayContext, hashApiKey, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import type { HeaderMutation, ProcessingRequest } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

// The console and LLM paths under a listener-wide ext_proc (Istio's EnvoyFilter): the router answers their headers as
// the rendered routes without ext_proc behave, and reads nothing more of them.
const KEY = "mcpgw_router_pass_key_0123456789";
const FORGED = {
  "x-destination-mcp": "weather",
  "x-mcp-identity": "forged.identity",
  "x-mcp-client-address": "203.0.113.9",
  "x-mcp-gateway-hop": "1",
  "x-mcp-stdio-bridge-token": "forged",
};
let context: GatewayContext;

const configYaml = (console: boolean): string => `version: 1
servers:
  - { name: weather, url: "http://127.0.0.1:1/mcp" }
auth: { apiKeys: { header: x-api-key } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(KEY)}", policy: all }
policies:
  all: { tools: ["*"] }
console: { enabled: ${String(console)} }
`;

beforeAll(async () => {
  context = await createGatewayContext(parseConfig(configYaml(true), {}), { logger: silentLogger });
});
afterAll(async () => {
  await context.close();
});

const processor = (metrics = new RouterMetrics({ defaultMetrics: false })): StreamProcessor =>
  new StreamProcessor(processorDeps(context, { logger: silentLogger, metrics }));

const headerList = (headers: Record<string, string>): { key: string; raw_value: Buffer }[] =>
  Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
const setOf = (mutation: HeaderMutation | undefined): Record<string, string> =>
  Object.fromEntries((mutation?.set_headers ?? []).map((o) => [o.header.key, o.header.raw_value.toString()]));

function headersMessage(path: string, extra: Record<string, string> = {}, source?: string): ProcessingRequest {
  const client = { ":method": "POST", ":path": path, "content-type": "application/json", ...extra };
  const attributes =
    source === undefined
      ? undefined
      : { "envoy.filters.http.ext_proc": { fields: { "source.address": { stringValue: source } } } };
  return { request_headers: { headers: { headers: headerList(client) } }, ...(attributes ? { attributes } : {}) };
}

const PASS_THROUGH_MODE = {
  request_header_mode: "SEND",
  request_body_mode: "NONE",
  request_trailer_mode: "SKIP",
  response_header_mode: "SEND",
  response_body_mode: "NONE",
  response_trailer_mode: "SKIP",
};

describe("StreamProcessor on the console and LLM paths", () => {
  it.each(["/v1/chat/completions", "/v1/responses?x=1", "/ui", "/ui/assets/index.js"])(
    "passes %s through unauthenticated: forged gateway headers removed, the client's address set, no body read",
    async (path) => {
      const answer = await processor().process(headersMessage(path, FORGED, "198.51.100.4:40123"));
      expect(answer).not.toHaveProperty("immediate_response");
      const response = "request_headers" in answer ? answer.request_headers.response : undefined;
      expect(setOf(response?.header_mutation)).toEqual({ "x-mcp-client-address": "198.51.100.4" });
      expect([...(response?.header_mutation?.remove_headers ?? [])].sort()).toEqual(
        Object.keys(FORGED)
          .filter((name) => name !== "x-mcp-client-address")
          .sort(),
      );
      expect(response?.clear_route_cache).toBe(true);
      expect(answer.mode_override).toEqual(PASS_THROUGH_MODE);
      expect(answer.dynamic_metadata?.fields["mcp_gateway"]?.structValue?.fields["decision"]).toEqual({
        stringValue: "passthrough",
      });
    },
  );

  it("removes a forged client address when Envoy sends none, and sets none", async () => {
    const answer = await processor().process(headersMessage("/v1/responses", { "x-mcp-client-address": "6.6.6.6" }));
    expect("request_headers" in answer && answer.request_headers.response?.header_mutation).toEqual({
      remove_headers: ["x-mcp-client-address"],
    });
  });

  it("leaves a CORS preflight and a foreign Host to the broker, which answers them on these paths", async () => {
    const preflight = await processor().process(
      headersMessage("/v1/chat/completions", {
        ":method": "OPTIONS",
        origin: "http://evil.example",
        "access-control-request-method": "POST",
        host: "evil.example",
      }),
    );
    expect(preflight).not.toHaveProperty("immediate_response");
    expect(preflight.mode_override).toEqual(PASS_THROUGH_MODE);
  });

  it("never parses a later body of a passed-through stream (a filter that ignores mode overrides)", async () => {
    const p = processor();
    await p.process(headersMessage("/v1/chat/completions", {}, "127.0.0.1:1"));
    const call = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "weather_x", arguments: {} } };
    const body = Buffer.from(JSON.stringify(call));
    // Nothing learnt from it either: no access-log field is added (the headers' answer sent them all).
    expect(await p.process({ request_body: { body, end_of_stream: true } })).toEqual({ request_body: {} });
    expect(await p.process({ response_headers: { headers: { headers: headerList({ ":status": "200" }) } } })).toEqual({
      response_headers: {},
    });
  });

  it("counts a pass-through as a broker decision, not as an MCP request", async () => {
    const metrics = new RouterMetrics({ defaultMetrics: false });
    const p = processor(metrics);
    await p.process(headersMessage("/ui/", {}, "127.0.0.1:1"));
    p.close();
    const text = await metrics.registry.metrics();
    expect(text).toContain('mcp_router_decisions_total{target="broker",outcome="pass_through"} 1');
    expect(text).not.toMatch(/mcp_router_request_duration_seconds_count\{/);
  });

  it.each(["/v1/models", "/v1/../mcp", "/UI", "/v1/chat/completions/", "/uix"])(
    "still answers %s 404 (no route past ext_proc goes there)",
    async (path) => {
      const answer = await processor().process(headersMessage(path, { "x-api-key": KEY }));
      expect("immediate_response" in answer && answer.immediate_response.status).toEqual({ code: 404 });
    },
  );

  it("still parses /mcp: credentials are checked at its headers and its body is read", async () => {
    const unauthenticated = await processor().process(headersMessage("/mcp", FORGED));
    expect("immediate_response" in unauthenticated && unauthenticated.immediate_response.status).toEqual({
      code: 401,
    });
    const answer = await processor().process(headersMessage("/mcp", { "x-api-key": KEY }));
    expect(answer).not.toHaveProperty("mode_override");
  });

  it("answers /ui 404 when the console is off (its route is then the default one, under ext_proc)", async () => {
    const off = await createGatewayContext(parseConfig(configYaml(false), {}), { logger: silentLogger });
    try {
      const deps = processorDeps(off, { logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
      const answer = await new StreamProcessor(deps).process(headersMessage("/ui/", { "x-api-key": KEY }));
      expect("immediate_response" in answer && answer.immediate_response.status).toEqual({ code: 404 });
    } finally {
      await off.close();
    }
  });
});
