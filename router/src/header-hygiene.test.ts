import { createGatewayContext, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { startServer } from "../../examples/weather-server/src/index";
import type { HeaderMutation, ProcessingResponse } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

// What the router lets through in each direction of a routed call: no client-asserted address or event id to the
// upstream, only an allow-list of the upstream's response headers to the client.
let weather: Awaited<ReturnType<typeof startServer>>;
let context: GatewayContext;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  const yaml = `version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weather.url}" }\nsecurity: { allowedOrigins: ["http://app.example"] }\n`;
  context = await createGatewayContext(parseConfig(yaml, {}), { logger: silentLogger });
  await context.upstreams.settled();
});
afterAll(async () => {
  await context.close();
  await weather.close();
});

const headerList = (headers: Record<string, string>): { key: string; raw_value: Buffer }[] =>
  Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
const setHeaders = (mutation: HeaderMutation | undefined): Record<string, string> =>
  Object.fromEntries((mutation?.set_headers ?? []).map((o) => [o.header.key, o.header.raw_value.toString()]));
const toolCall = Buffer.from(
  JSON.stringify({
    jsonrpc: "2.0",
    id: 1,
    method: "tools/call",
    params: { name: "weather_server_info", arguments: {} },
  }),
);

/** A processor that has routed one tools/call sent with `extra` client headers; returns it with the body answer. */
async function routed(extra: Record<string, string>): Promise<{ p: StreamProcessor; answer: ProcessingResponse }> {
  const p = new StreamProcessor(
    processorDeps(context, { logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) }),
  );
  const client = {
    ":method": "POST",
    ":path": "/mcp",
    "content-type": "application/json",
    accept: "application/json, text/event-stream",
    "mcp-session-id": context.sessions.issue(),
    ...extra,
  };
  await p.process({ request_headers: { headers: { headers: headerList(client) } } });
  return { p, answer: await p.process({ request_body: { body: toolCall, end_of_stream: true } }) };
}

describe("router header hygiene", () => {
  it("removes client-asserted addresses and last-event-id from a routed call", async () => {
    const { answer } = await routed({
      "x-forwarded-for": "6.6.6.6, 10.0.0.1",
      "x-forwarded-host": "evil.example",
      "x-forwarded-proto": "https",
      forwarded: "for=6.6.6.6",
      "x-real-ip": "6.6.6.6",
      "last-event-id": "evil-1",
      "x-custom": "kept",
    });
    if (!("request_body" in answer)) throw new Error(`expected a routed call, got ${JSON.stringify(answer)}`);
    const mutation = answer.request_body.response?.header_mutation;
    expect(mutation?.remove_headers).toEqual(
      expect.arrayContaining(["x-forwarded-for", "x-forwarded-host", "forwarded", "x-real-ip", "last-event-id"]),
    );
    expect(mutation?.remove_headers).not.toContain("x-custom");
  });

  it("keeps x-forwarded-proto as Envoy's view of the scheme, never the client's (Envoy routes nothing without it)", async () => {
    const { answer } = await routed({ ":scheme": "http", "x-forwarded-proto": "https" });
    if (!("request_body" in answer)) throw new Error(`expected a routed call, got ${JSON.stringify(answer)}`);
    const mutation = answer.request_body.response?.header_mutation;
    expect(mutation?.remove_headers).not.toContain("x-forwarded-proto");
    expect(setHeaders(mutation)["x-forwarded-proto"]).toBe("http");
  });

  it("removes every upstream response header outside the allow-list, keeping the gateway's CORS headers", async () => {
    const { p } = await routed({ origin: "http://app.example" });
    const upstream = {
      ":status": "200",
      "content-type": "application/json",
      "content-length": "10",
      "cache-control": "no-cache",
      "x-powered-by": "Express",
      "access-control-allow-origin": "*",
      "set-cookie": "a=1",
      "www-authenticate": "Bearer",
      server: "upstream",
      "x-envoy-upstream-service-time": "3",
    };
    const answer = await p.process({ response_headers: { headers: { headers: headerList(upstream) } } });
    if (!("response_headers" in answer)) throw new Error("expected a response_headers answer");
    const mutation = answer.response_headers.response?.header_mutation;
    // The allowed origin's own CORS header is set in the same mutation, so it is not removed; content-length goes
    // because the reply of a prefixed server is rewritten.
    expect([...(mutation?.remove_headers ?? [])].sort()).toEqual([
      "content-length",
      "server",
      "set-cookie",
      "www-authenticate",
      "x-powered-by",
    ]);
    expect(setHeaders(mutation)["access-control-allow-origin"]).toBe("http://app.example");
  });
});
