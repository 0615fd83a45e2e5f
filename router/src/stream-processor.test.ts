import { createGatewayContext, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { startServer } from "../../examples/weather-server/src/index";
import type { HeaderMutation, ProcessingResponse } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

let weather: Awaited<ReturnType<typeof startServer>>;
let context: GatewayContext;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  const yaml = `version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weather.url}", headers: { authorization: "Bearer upstream-token" } }\nlimits: { maxBodyBytes: 2048 }\n`;
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

function setHeaders(mutation: HeaderMutation | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const option of mutation?.set_headers ?? []) out[option.header.key] = option.header.raw_value.toString();
  return out;
}

async function sendHeaders(
  p: StreamProcessor,
  headers: Record<string, string>,
  endOfStream = false,
): Promise<ProcessingResponse> {
  const client = {
    ":method": "POST",
    ":path": "/mcp",
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
    ...headers,
  };
  return p.process({ request_headers: { headers: { headers: headerList(client) }, end_of_stream: endOfStream } });
}

/** An answer without its access-log metadata (stream-processor-metadata.test.ts checks that part). */
function withoutMetadata(answer: ProcessingResponse): object {
  const { dynamic_metadata: metadata, ...rest } = answer;
  expect(metadata?.fields["mcp_gateway"]).toBeDefined();
  return rest;
}

const toolCall = (name: string, id: number | string = 1): Buffer =>
  Buffer.from(JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: {} } }));

describe("StreamProcessor request headers", () => {
  it("strips client-supplied internal headers and clears the cached route", async () => {
    const answer = await sendHeaders(processor(), {
      "x-destination-mcp": "weather",
      "x-mcp-tool": "get_forecast",
      "content-type": "application/json",
    });
    expect(withoutMetadata(answer)).toEqual({
      request_headers: {
        response: { header_mutation: { remove_headers: ["x-destination-mcp", "x-mcp-tool"] }, clear_route_cache: true },
      },
    });
  });

  it("strips a client-supplied stdio bridge token (only the gateway sends it, to its own bridge)", async () => {
    const answer = await sendHeaders(processor(), {
      "x-mcp-stdio-bridge-token": "guess",
      "content-type": "application/json",
    });
    expect(withoutMetadata(answer)).toEqual({
      request_headers: {
        response: { header_mutation: { remove_headers: ["x-mcp-stdio-bridge-token"] }, clear_route_cache: true },
      },
    });
  });

  it("continues without a mutation when nothing needs stripping", async () => {
    const answer = await sendHeaders(processor(), { "content-type": "application/json" });
    expect(withoutMetadata(answer)).toEqual({ request_headers: {} });
  });

  it("refuses a declared body over the limit before Envoy buffers it", async () => {
    const answer = await sendHeaders(processor(), { "content-length": "4096" });
    if (!("immediate_response" in answer)) throw new Error("expected an immediate response");
    expect(answer.immediate_response.status.code).toBe(413);
    expect(JSON.parse(answer.immediate_response.body?.toString() ?? "")).toMatchObject({ error: { code: -31003 } });
  });
});

describe("StreamProcessor request body", () => {
  it("routes tools/call: destination, unprefixed body, matching content-length, backend session, raw_value only", async () => {
    const gatewaySession = context.sessions.issue();
    const p = processor();
    await sendHeaders(p, {
      "mcp-session-id": gatewaySession,
      authorization: "Bearer client-token",
      "mcp-protocol-version": "2025-06-18",
    });
    const answer = await p.process({ request_body: { body: toolCall("weather_server_info", 3), end_of_stream: true } });
    if (!("request_body" in answer)) throw new Error(`expected a body answer, got ${JSON.stringify(answer)}`);
    const response = answer.request_body.response;
    const body = response?.body_mutation?.body ?? Buffer.alloc(0);
    const set = setHeaders(response?.header_mutation);
    expect(JSON.parse(body.toString())).toEqual({
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "server_info", arguments: {} },
    });
    expect(set).toMatchObject({
      "x-destination-mcp": "weather",
      "x-mcp-tool": "server_info",
      "x-mcp-method": "tools/call",
      "content-length": String(body.length),
      ":path": "/mcp",
      ":authority": new URL(weather.url).host,
      authorization: "Bearer upstream-token",
    });
    expect(set["mcp-session-id"]).toBeDefined();
    expect(set["mcp-session-id"]).not.toBe(gatewaySession);
    expect(response?.clear_route_cache).toBe(true);
    for (const option of response?.header_mutation?.set_headers ?? []) {
      expect(option).toEqual({
        header: { key: option.header.key, raw_value: expect.any(Buffer) },
        append: { value: false },
      });
    }
  });

  it("lets broker-bound messages through unchanged", async () => {
    const p = processor();
    await sendHeaders(p, {});
    const answer = await p.process({
      request_body: { body: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/list"}') },
    });
    expect(withoutMetadata(answer)).toEqual({ request_body: {} });
  });

  it.each([
    ["malformed JSON", Buffer.from("{oops"), 400, -32700, null],
    ["an unknown tool", toolCall("weather_nope", 8), 200, -32602, 8],
  ])("answers %s with an immediate JSON-RPC error", async (_what, body, status, code, id) => {
    const p = processor();
    await sendHeaders(p, { "mcp-session-id": context.sessions.issue() });
    const answer = await p.process({ request_body: { body } });
    if (!("immediate_response" in answer)) throw new Error("expected an immediate response");
    expect(answer.immediate_response.status.code).toBe(status);
    expect(setHeaders(answer.immediate_response.headers)["content-type"]).toBe("application/json");
    expect(JSON.parse(answer.immediate_response.body?.toString() ?? "")).toMatchObject({
      jsonrpc: "2.0",
      id,
      error: { code },
    });
  });
});

describe("StreamProcessor response headers", () => {
  async function routed(): Promise<{ p: StreamProcessor; gatewaySession: string; backendSession: string }> {
    const gatewaySession = context.sessions.issue();
    const p = processor();
    await sendHeaders(p, { "mcp-session-id": gatewaySession });
    const answer = await p.process({ request_body: { body: toolCall("weather_server_info") } });
    const backendSession =
      "request_body" in answer
        ? setHeaders(answer.request_body.response?.header_mutation)["mcp-session-id"]
        : undefined;
    return { p, gatewaySession, backendSession: backendSession ?? "" };
  }

  it("replaces the upstream's session id with the gateway's", async () => {
    const { p, gatewaySession, backendSession } = await routed();
    const answer = await p.process({
      response_headers: { headers: { headers: headerList({ ":status": "200", "mcp-session-id": backendSession }) } },
    });
    if (!("response_headers" in answer)) throw new Error("expected a response_headers answer");
    expect(setHeaders(answer.response_headers.response?.header_mutation)).toEqual({ "mcp-session-id": gatewaySession });
  });

  it("replays the call on a fresh backend session when the upstream answers 404", async () => {
    const { p, gatewaySession, backendSession } = await routed();
    await context.http.deleteSession(context.config().servers[0]!, backendSession, 2000);
    const answer = await p.process({ response_headers: { headers: { headers: headerList({ ":status": "404" }) } } });
    if (!("immediate_response" in answer)) throw new Error(`expected a replayed reply, got ${JSON.stringify(answer)}`);
    expect(answer.immediate_response.status.code).toBe(200);
    expect(setHeaders(answer.immediate_response.headers)["mcp-session-id"]).toBe(gatewaySession);
    const text = answer.immediate_response.body?.toString() ?? "";
    expect(text).toContain('\\"server\\":\\"weather\\"');
    expect(text).not.toContain(backendSession);
  });

  it("gives a replayed reply the same rewriting as a streamed one (resource URIs prefixed)", async () => {
    const gatewaySession = context.sessions.issue();
    const p = processor();
    await sendHeaders(p, { "mcp-session-id": gatewaySession });
    const read = { jsonrpc: "2.0", id: 4, method: "resources/read", params: { uri: "weather+weather://cities" } };
    const routed = await p.process({ request_body: { body: Buffer.from(JSON.stringify(read)) } });
    const backendSession =
      "request_body" in routed ? setHeaders(routed.request_body.response?.header_mutation)["mcp-session-id"] : "";
    await context.http.deleteSession(context.config().servers[0]!, backendSession ?? "", 2000);
    const answer = await p.process({ response_headers: { headers: { headers: headerList({ ":status": "404" }) } } });
    if (!("immediate_response" in answer)) throw new Error(`expected a replayed reply, got ${JSON.stringify(answer)}`);
    const text = answer.immediate_response.body?.toString() ?? "";
    expect(text).toContain('"uri":"weather+weather://cities"');
    expect(text).not.toContain('"uri":"weather://cities"');
  });

  it("passes broker responses through untouched", async () => {
    const p = processor();
    await sendHeaders(p, {});
    await p.process({
      request_body: { body: Buffer.from('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}') },
    });
    expect(
      await p.process({
        response_headers: { headers: { headers: headerList({ ":status": "200", "mcp-session-id": "g1.x" }) } },
      }),
    ).toEqual({ response_headers: {} });
  });
});
