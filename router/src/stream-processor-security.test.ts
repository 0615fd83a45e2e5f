import { createGatewayContext, hashApiKey, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { startServer } from "../../examples/weather-server/src/index";
import type { HeaderMutation, ProcessingResponse } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

// The router's security phases, message by message: what Envoy is told to set, remove and override.
const KEY = "mcpgw_router_test_key_0123456789";
const SMALL_KEY = "mcpgw_router_small_key_0123456789";
const WEATHER_KEY = "mcpgw_router_weather_key_0123456789";
let weather: Awaited<ReturnType<typeof startServer>>;
let context: GatewayContext;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  const yaml = `version: 1
servers:
  - { name: weather, url: "${weather.url}" }
  - { name: plain, url: "${weather.url}", prefix: "" }
auth: { apiKeys: { header: x-api-key } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(KEY)}", policy: all }
  - { name: tiny, keyHash: "${hashApiKey(SMALL_KEY)}", policy: small }
  - { name: wonly, keyHash: "${hashApiKey(WEATHER_KEY)}", policy: wonly }
policies:
  all: { tools: ["*"] }
  small: { tools: ["*"], maxBodyBytes: 40 }
  wonly: { servers: [weather], tools: ["*"] }
virtualServers:
  - { name: mine, tools: [{ server: weather, name: get_forecast }] }
  - { name: theirs, tools: [{ server: plain, name: get_forecast }] }
sanitize: { rules: [{ servers: [weather], keys: [password] }] }
`;
  context = await createGatewayContext(parseConfig(yaml, {}), { logger: silentLogger });
  await context.upstreams.settled();
});
afterAll(async () => {
  await context.close();
  await weather.close();
});

const processor = (): StreamProcessor =>
  new StreamProcessor(
    processorDeps(context, {
      logger: silentLogger,
      metrics: new RouterMetrics({ defaultMetrics: false }),
      replayTimeoutMs: 3000,
    }),
  );

const headerList = (headers: Record<string, string>): { key: string; raw_value: Buffer }[] =>
  Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
const setOf = (mutation: HeaderMutation | undefined): Record<string, string> =>
  Object.fromEntries((mutation?.set_headers ?? []).map((o) => [o.header.key, o.header.raw_value.toString()]));

function sendHeaders(p: StreamProcessor, headers: Record<string, string>): Promise<ProcessingResponse> {
  const client = { ":method": "POST", ":path": "/mcp", "content-type": "application/json", ...headers };
  return p.process({ request_headers: { headers: { headers: headerList(client) } } });
}

/** The answer's fields whichever phase it answers (ProcessingResponse is a union of one-phase shapes). */
type AnyAnswer = {
  immediate_response?: { status?: { code: number }; headers?: HeaderMutation };
  request_headers?: { response?: { header_mutation?: HeaderMutation } };
  request_body?: { response?: { header_mutation?: HeaderMutation } };
  mode_override?: unknown;
};
const fields = (answer: ProcessingResponse): AnyAnswer => answer as AnyAnswer;

const toolCall = (name: string): Buffer =>
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name, arguments: {} } }));

describe("StreamProcessor security", () => {
  it("answers a request without a key with an immediate 401 and a WWW-Authenticate challenge", async () => {
    const answer = fields(await sendHeaders(processor(), {}));
    expect(answer.immediate_response?.status).toEqual({ code: 401 });
    expect(Object.keys(setOf(answer.immediate_response?.headers))).toContain("www-authenticate");
  });

  it("replaces a client's identity header with one it signs itself", async () => {
    const answer = fields(await sendHeaders(processor(), { "x-api-key": KEY, "x-mcp-identity": "i1.forged.forged" }));
    const mutation = answer.request_headers?.response?.header_mutation;
    const identity = setOf(mutation)["x-mcp-identity"] ?? "";
    expect(identity).not.toBe("i1.forged.forged");
    expect(context.security.gate.fromIdentityHeader({ "x-mcp-identity": identity }).identity.consumer).toBe("alice");
  });

  it("removes the key header and the identity header from a routed call", async () => {
    const p = processor();
    await sendHeaders(p, { "x-api-key": KEY, "mcp-session-id": context.sessions.issue("alice") });
    const answer = fields(
      await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } }),
    );
    const removed = answer.request_body?.response?.header_mutation?.remove_headers ?? [];
    expect(removed).toEqual(expect.arrayContaining(["x-api-key", "x-mcp-identity", "authorization"]));
  });

  it.each([
    ["streams a reply a redaction rule applies to through the router", "weather_get_forecast", true],
    ["leaves a reply no rule (and no prefix) touches to Envoy", "get_forecast", false],
  ])("%s", async (_label, tool, overridden) => {
    const p = processor();
    await sendHeaders(p, { "x-api-key": KEY, "mcp-session-id": context.sessions.issue("alice") });
    await p.process({ request_body: { body: toolCall(tool), end_of_stream: true } });
    const answer = fields(
      await p.process({
        response_headers: {
          headers: { headers: headerList({ ":status": "200", "content-type": "application/json" }) },
        },
      }),
    );
    expect(answer.mode_override !== undefined).toBe(overridden);
  });

  it("also keeps accept-encoding from a routed call, so the upstream answers uncompressed (readable, redactable)", async () => {
    const p = processor();
    await sendHeaders(p, {
      "x-api-key": KEY,
      "mcp-session-id": context.sessions.issue("alice"),
      "accept-encoding": "gzip",
    });
    const answer = fields(
      await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } }),
    );
    expect(answer.request_body?.response?.header_mutation?.remove_headers).toContain("accept-encoding");
  });

  it.each(["GET", "DELETE", "PUT"])("refuses a JSON-RPC body on %s with 405, as standalone does", async (method) => {
    const p = processor();
    await sendHeaders(p, { ":method": method, "x-api-key": KEY, "mcp-session-id": context.sessions.issue("alice") });
    const answer = fields(
      await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } }),
    );
    expect(answer.immediate_response?.status).toEqual({ code: 405 });
  });

  it("refuses a compressed request body with 415 (standalone would inflate it: both modes refuse)", async () => {
    const p = processor();
    await sendHeaders(p, {
      "x-api-key": KEY,
      "mcp-session-id": context.sessions.issue("alice"),
      "content-encoding": "gzip",
    });
    const answer = fields(
      await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } }),
    );
    expect(answer.immediate_response?.status).toEqual({ code: 415 });
  });

  it("refuses a body over the caller's policy limit with 413 naming the policy", async () => {
    const p = processor();
    await sendHeaders(p, { "x-api-key": SMALL_KEY, "mcp-session-id": context.sessions.issue("tiny") });
    const answer = fields(
      await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } }),
    );
    expect(answer.immediate_response?.status).toEqual({ code: 413 });
  });

  it("refuses paths other than /mcp with 404, before asking for credentials", async () => {
    const answer = fields(await sendHeaders(processor(), { ":path": "/status" }));
    expect(answer.immediate_response?.status).toEqual({ code: 404 });
  });

  // Security review F7: which endpoints exist is told to no one without credentials, nor to a consumer outside them.
  it.each(["/mcp/weather", "/mcp/nope", "/mcp/virtual/mine", "/mcp/virtual/nope"])(
    "asks for credentials at %s before telling whether it is an endpoint (401, not 404)",
    async (path) => {
      const answer = fields(await sendHeaders(processor(), { ":path": path }));
      expect(answer.immediate_response?.status).toEqual({ code: 401 });
    },
  );

  it("answers an endpoint the caller's policy gives nothing at exactly as one that does not exist", async () => {
    const answer = async (path: string): Promise<unknown> => {
      const reply = (await sendHeaders(processor(), { ":path": path, "x-api-key": WEATHER_KEY })) as {
        immediate_response?: { status?: unknown; body?: Buffer | string };
      };
      const body = String(reply.immediate_response?.body ?? "").replaceAll(path, "<path>");
      return { status: reply.immediate_response?.status, body };
    };
    const missing = await answer("/mcp/nope");
    expect(missing).toEqual({ status: { code: 404 }, body: expect.stringContaining("no MCP endpoint at") });
    expect(await answer("/mcp/plain")).toEqual(missing);
    expect(await answer("/mcp/virtual/theirs")).toEqual(missing);
    const open = fields(await sendHeaders(processor(), { ":path": "/mcp/virtual/mine", "x-api-key": WEATHER_KEY }));
    expect(open.immediate_response).toBeUndefined();
  });

  it("lets the protected resource metadata through without credentials when it is advertised", async () => {
    const deps = processorDeps(context, {
      logger: silentLogger,
      metrics: new RouterMetrics({ defaultMetrics: false }),
    });
    const advertising = new StreamProcessor({ ...deps, advertisesMetadata: () => true });
    const metadata = { ":method": "GET", ":path": "/.well-known/oauth-protected-resource/mcp" };
    expect(fields(await sendHeaders(advertising, metadata)).immediate_response).toBeUndefined();
  });

  it("answers the metadata path with 404 when no authorization server is configured (API keys only)", async () => {
    const metadata = { ":method": "GET", ":path": "/.well-known/oauth-protected-resource/mcp" };
    expect(fields(await sendHeaders(processor(), metadata)).immediate_response?.status).toEqual({ code: 404 });
  });

  it("refuses a reply under a rule it cannot read: canonical content-type, no encoding or length, an error body", async () => {
    const p = processor();
    await sendHeaders(p, { "x-api-key": KEY, "mcp-session-id": context.sessions.issue("alice") });
    await p.process({ request_body: { body: toolCall("weather_get_forecast"), end_of_stream: true } });
    const upstream = { ":status": "200", "content-type": "application/json", "content-encoding": "gzip" };
    const answer = (await p.process({
      response_headers: { headers: { headers: headerList({ ...upstream, "content-length": "40" }) } },
    })) as { response_headers?: { response?: { header_mutation?: HeaderMutation } } };
    const mutation = answer.response_headers?.response?.header_mutation;
    expect(setOf(mutation)["content-type"]).toBe("application/json");
    expect(mutation?.remove_headers).toEqual(expect.arrayContaining(["content-length", "content-encoding"]));
    const body = (await p.process({ response_body: { body: Buffer.from("\x1f\x8b gzip"), end_of_stream: true } })) as {
      response_body?: { response?: { body_mutation?: { body: Buffer } } };
    };
    expect(JSON.parse(body.response_body?.response?.body_mutation?.body.toString() ?? "")).toMatchObject({
      id: 1,
      error: { code: -32603 },
    });
  });
});
