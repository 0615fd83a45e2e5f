import {
  AuditHasher,
  createGatewayContext,
  hashApiKey,
  parseConfig,
  silentLogger,
  type GatewayContext,
} from "@mcp-gateway/core";
import { startServer } from "../../examples/weather-server/src/index";
import { METADATA_NAMESPACE } from "./access-metadata";
import type { HeaderMutation, ProcessingResponse, Struct } from "./ext-proc-messages";
import { RouterMetrics } from "./metrics";
import { processorDeps } from "./router";
import { StreamProcessor } from "./stream-processor";

// The access-log fields the router hands Envoy as dynamic metadata, per decision kind.
const KEY = "mcpgw_router_metadata_key_0123456789";
const SECRET = "router-metadata-test-secret-0123456789";
let weather: Awaited<ReturnType<typeof startServer>>;
let context: GatewayContext;

beforeAll(async () => {
  weather = await startServer({ port: 0 });
  const yaml = `version: 1
servers:
  - { name: weather, url: "${weather.url}" }
sessions: { secret: "${SECRET}" }
auth: { apiKeys: { header: x-api-key } }
consumers:
  - { name: alice, keyHash: "${hashApiKey(KEY)}", policy: forecasts }
policies: { forecasts: { tools: ["weather_get_forecast"] } }
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
    processorDeps(context, { logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) }),
  );

const headerList = (headers: Record<string, string>): { key: string; raw_value: Buffer }[] =>
  Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
const sessionOf = (answer: ProcessingResponse): string | undefined => {
  const mutation = (answer as { request_body?: { response?: { header_mutation?: HeaderMutation } } }).request_body
    ?.response?.header_mutation;
  return mutation?.set_headers?.find((o) => o.header.key === "mcp-session-id")?.header.raw_value.toString();
};

/** The mcp_gateway namespace of an answer's dynamic metadata, as plain strings. */
function metadataOf(answer: ProcessingResponse): Record<string, string> | undefined {
  const struct: Struct | undefined = answer.dynamic_metadata;
  const fields = struct?.fields[METADATA_NAMESPACE]?.structValue?.fields;
  if (!fields) return undefined;
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, value.stringValue ?? ""]));
}

/** The namespace as Envoy holds it after `answers`: each answer's fields merged over the earlier ones. */
function merged(...answers: ProcessingResponse[]): Record<string, string> {
  return Object.assign({}, ...answers.map((answer) => metadataOf(answer) ?? {})) as Record<string, string>;
}

/** One request's header and body answers, and `logged`: the fields its access-log line gets. */
async function send(
  headers: Record<string, string>,
  body?: object,
): Promise<{ head: ProcessingResponse; answer: ProcessingResponse; logged: Record<string, string> }> {
  const p = processor();
  const client = { ":method": "POST", ":path": "/mcp", ":scheme": "http", ...headers };
  const head = await p.process({ request_headers: { headers: { headers: headerList(client) } } });
  if (!body || "immediate_response" in head) return { head, answer: head, logged: merged(head) };
  const answer = await p.process({ request_body: { body: Buffer.from(JSON.stringify(body)), end_of_stream: true } });
  return { head, answer, logged: merged(head, answer) };
}

const session = (): string => context.sessions.issue("alice");
const call = (name: string): object => ({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name } });

describe("StreamProcessor access-log metadata", () => {
  it("names method, server, tool, consumer, the hashed session and 'routed' for a routed call", async () => {
    const id = session();
    const { head, answer, logged } = await send(
      { "x-api-key": KEY, "mcp-session-id": id },
      call("weather_get_forecast"),
    );
    expect(metadataOf(head)).toMatchObject({ consumer: "alice" });
    expect(sessionOf(answer)).toBeDefined();
    expect(logged).toEqual({
      consumer: "alice",
      session: new AuditHasher(SECRET).session(id),
      method: "tools/call",
      server: "weather",
      target: "weather_get_forecast",
      decision: "routed",
      jsonrpc_id: "1",
    });
    expect(JSON.stringify(head.dynamic_metadata)).not.toContain(id);
    expect(JSON.stringify(answer.dynamic_metadata)).not.toContain(id);
  });

  it("sends each field once: the body's answer carries only what the body taught (Envoy merges them)", async () => {
    const id = session();
    const { head, answer } = await send({ "x-api-key": KEY, "mcp-session-id": id }, call("weather_get_forecast"));
    expect(metadataOf(head)).toEqual({ consumer: "alice", session: new AuditHasher(SECRET).session(id) });
    expect(metadataOf(answer)).toEqual({
      method: "tools/call",
      server: "weather",
      target: "weather_get_forecast",
      decision: "routed",
      jsonrpc_id: "1",
    });
  });

  it("names a broker request 'broker' with its method and protocol version", async () => {
    const body = { jsonrpc: "2.0", id: 1, method: "tools/list" };
    const { logged } = await send(
      { "x-api-key": KEY, "mcp-session-id": session(), "mcp-protocol-version": "2025-11-25" },
      body,
    );
    expect(logged).toMatchObject({
      consumer: "alice",
      method: "tools/list",
      decision: "broker",
      protocol_version: "2025-11-25",
    });
  });

  it("names a policy refusal (403) 'refused' with reason forbidden, the consumer and the tool", async () => {
    const { answer, logged } = await send(
      { "x-api-key": KEY, "mcp-session-id": session() },
      call("weather_get_alerts"),
    );
    expect("immediate_response" in answer).toBe(true);
    expect(logged).toMatchObject({
      consumer: "alice",
      method: "tools/call",
      server: "weather",
      target: "weather_get_alerts",
      decision: "refused",
      reason: "forbidden",
    });
  });

  it("names an unauthenticated request (401) 'refused' with reason unauthorized and no consumer", async () => {
    const { logged: metadata } = await send({ "x-api-key": "mcpgw_wrong" });
    expect(metadata).toMatchObject({ decision: "refused", reason: "unauthorized" });
    expect(metadata?.["consumer"]).toBeUndefined();
  });

  it("names an unknown session (404) 'refused' with reason session_not_found", async () => {
    const { logged } = await send({ "x-api-key": KEY, "mcp-session-id": "g1.zz.forged" }, call("weather_get_forecast"));
    expect(logged).toMatchObject({
      decision: "refused",
      reason: "session_not_found",
      method: "tools/call",
    });
  });

  it("caps a client's protocol version and never sends response-phase metadata", async () => {
    const p = processor();
    const headers = { ":method": "GET", ":path": "/mcp", "x-api-key": KEY, "mcp-protocol-version": "9".repeat(500) };
    const head = await p.process({
      request_headers: { headers: { headers: headerList(headers) }, end_of_stream: true },
    });
    const version = metadataOf(head)?.["protocol_version"] ?? "";
    expect(version.length).toBeLessThan(100);
    expect(version).toMatch(/^9{32}…\[truncated: 500 chars/);
    expect(metadataOf(head)?.["decision"]).toBe("broker");
    const response = await p.process({ response_headers: { headers: { headers: headerList({ ":status": "200" }) } } });
    expect(response.dynamic_metadata).toBeUndefined();
  });

  it("keeps a routed call's x-forwarded-proto as Envoy's scheme (Envoy routes nothing without it)", async () => {
    const { answer } = await send(
      { "x-api-key": KEY, "mcp-session-id": session(), "x-forwarded-proto": "gopher" },
      call("weather_get_forecast"),
    );
    const mutation = (answer as { request_body?: { response?: { header_mutation?: HeaderMutation } } }).request_body
      ?.response?.header_mutation;
    const set = mutation?.set_headers?.find((o) => o.header.key === "x-forwarded-proto")?.header.raw_value.toString();
    expect(set).toBe("http");
    expect(mutation?.remove_headers ?? []).not.toContain("x-forwarded-proto");
  });
});
