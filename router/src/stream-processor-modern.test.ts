import {
  createGatewayContext,
  hashApiKey,
  JsonRpcErrorCode,
  parseConfig,
  silentLogger,
  type GatewayContext,
} from "@mcp-gateway/core";
import { startModernUpstream, type ModernUpstream } from "../../test/src/support/modern-upstream";
import type { HeaderMutation, ProcessingResponse } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

// The router's modern phase, message by message: a 2026 call to a 2026 upstream is admitted by policy like a legacy
// call and rewritten for the upstream; a refused one never leaves the router.
const ALL = "mcpgw_router_modern_all_0123456789";
const NONE = "mcpgw_router_modern_none_0123456789";
let upstream: ModernUpstream;
let context: GatewayContext;

beforeAll(async () => {
  upstream = await startModernUpstream();
  const yaml = `version: 1
servers:
  - { name: fresh, url: "${upstream.url}", headers: { x-upstream-key: upstream-secret } }
auth: { apiKeys: { header: x-api-key } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(ALL)}", policy: all }
  - { name: eve, keyHash: "${hashApiKey(NONE)}", policy: other }
policies: { all: { tools: ["*"] }, other: { tools: ["other_*"] } }
`;
  context = await createGatewayContext(parseConfig(yaml, {}), { logger: silentLogger });
  await context.upstreams.settled();
});
afterAll(async () => {
  await context.close();
  await upstream.close();
});

const META = {
  "io.modelcontextprotocol/protocolVersion": "2026-07-28",
  "io.modelcontextprotocol/clientCapabilities": {},
  "io.modelcontextprotocol/clientInfo": { name: "c", version: "1" },
};
const MODERN_HEADERS = {
  accept: "application/json, text/event-stream",
  "mcp-protocol-version": "2026-07-28",
  "mcp-method": "tools/call",
  "mcp-name": "fresh_echo",
  "mcp-param-region": "eu",
  "mcp-session-id": "client-sent",
};
const call = Buffer.from(
  JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "fresh_echo", _meta: META } }),
);

type AnyAnswer = {
  immediate_response?: { status?: { code: number }; body?: Buffer };
  request_body?: { response?: { header_mutation?: HeaderMutation; body_mutation?: { body?: Buffer } } };
};

async function decide(key: string, headers: Record<string, string>, body: Buffer): Promise<AnyAnswer> {
  const processor = new StreamProcessor(
    processorDeps(context, { logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) }),
  );
  const client = {
    ":method": "POST",
    ":path": "/mcp",
    "content-type": "application/json",
    "x-api-key": key,
    ...headers,
  };
  const list = Object.entries(client).map(([k, value]) => ({ key: k, raw_value: Buffer.from(value) }));
  await processor.process({ request_headers: { headers: { headers: list } } });
  return (await processor.process({ request_body: { body, end_of_stream: true } })) as ProcessingResponse as AnyAnswer;
}

const setOf = (mutation: HeaderMutation | undefined): Record<string, string> =>
  Object.fromEntries((mutation?.set_headers ?? []).map((o) => [o.header.key, o.header.raw_value.toString()]));

describe("StreamProcessor, 2026-07-28 requests", () => {
  it("knows the upstream as a 2026 one", () => {
    expect(context.upstreams.generation("fresh")).toBe("2026");
  });

  it("routes an allowed call to the upstream: its own name, no session, credentials swapped", async () => {
    const answer = await decide(ALL, MODERN_HEADERS, call);
    const response = answer.request_body?.response;
    const set = setOf(response?.header_mutation);
    expect(set).toMatchObject({
      "x-destination-mcp": "fresh",
      "mcp-name": "echo",
      "x-upstream-key": "upstream-secret",
    });
    expect(set["mcp-session-id"]).toBeUndefined();
    expect(response?.header_mutation?.remove_headers).toEqual(
      expect.arrayContaining(["mcp-session-id", "x-api-key", "authorization"]),
    );
    // Mcp-Method and Mcp-Param-* are left as the client sent them (neither set nor removed).
    expect(set["mcp-method"]).toBeUndefined();
    expect(response?.header_mutation?.remove_headers).not.toContain("mcp-param-region");
    const body = JSON.parse(response?.body_mutation?.body?.toString() ?? "{}") as { params: Record<string, unknown> };
    expect(body.params).toMatchObject({ name: "echo", _meta: META });
  });

  it("refuses a call the consumer's policy does not allow with 403, before the upstream", async () => {
    const answer = await decide(NONE, MODERN_HEADERS, call);
    expect(answer.immediate_response?.status).toEqual({ code: 403 });
    expect(JSON.parse(answer.immediate_response?.body?.toString() ?? "{}")).toMatchObject({
      id: 4,
      error: { code: JsonRpcErrorCode.Forbidden },
    });
  });

  it("refuses a header naming another tool with the SDK's 400 -32020 and the id", async () => {
    const answer = await decide(ALL, { ...MODERN_HEADERS, "mcp-name": "fresh_other" }, call);
    expect(answer.immediate_response?.status).toEqual({ code: 400 });
    expect(JSON.parse(answer.immediate_response?.body?.toString() ?? "{}")).toMatchObject({
      id: 4,
      error: { code: -32020 },
    });
  });
});
