import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExampleServer, type RunningProcess } from "@mcp-gateway/example-kit";
import { startBodySpy, type BodySpy } from "../support/body-spy";
import { pollUntil } from "../support/bounded-wait";
import { startJaeger, tagOf, type JaegerServer, type JaegerSpan, type JaegerTrace } from "../support/jaeger";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { keyHash, newTraceparent, RawMcpClient } from "./tracing-client";

jest.setTimeout(120_000);

const KEY = "trace-test-key-0123456789abcdef";
const SERVICE = "mcp-gateway-trace-standalone";

// The consumer may call get_forecast on the spied server only: get_alerts is refused by policy. The access log names
// each line's trace: the request span's, which _meta decides.
const LOG_DIR = mkdtempSync(join(tmpdir(), "mcp-trace-access-"));
const ACCESS_LOG = join(LOG_DIR, "access.jsonl");
const ACCESS = `consumers: [{ name: tracer, keyHash: "${keyHash(KEY)}", policy: forecasts }]
policies: { forecasts: { servers: [spied], tools: [spied_get_forecast] } }
accessLog: { enabled: true, destination: "${ACCESS_LOG}" }`;

const spanNamed = (trace: JaegerTrace, name: string): JaegerSpan | undefined =>
  trace.spans.find((s) => s.operationName === name);
const parentOf = (span: JaegerSpan): string | undefined =>
  span.references.find((r) => r.refType === "CHILD_OF")?.spanID;

describe("tracing in standalone mode, read back from a real Jaeger", () => {
  let jaeger: JaegerServer;
  let weather: RunningProcess & { url: string };
  let spy: BodySpy;
  let stack: GatewayStack;
  let client: RawMcpClient;

  beforeAll(async () => {
    jaeger = await startJaeger();
    weather = await startExampleServer("weather");
    spy = await startBodySpy(weather.url);
    stack = await startGatewayStack(
      { kind: "standalone" },
      {
        extraServers: [`name: spied, url: "${spy.url}"`],
        access: ACCESS,
        tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${SERVICE} }`,
      },
    );
    client = new RawMcpClient(stack.url, { authorization: `Bearer ${KEY}` });
    await client.initialize();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await spy?.close();
    await weather?.stop();
    await jaeger?.stop();
    rmSync(LOG_DIR, { recursive: true, force: true });
  });

  it("puts a tools/call into the client's trace (_meta wins over the header) and carries it to the upstream", async () => {
    const meta = newTraceparent();
    const header = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "spied_get_forecast", arguments: { city: "Oslo" }, _meta: { traceparent: meta.traceparent } },
      { traceparent: header.traceparent },
    );
    expect(call.status).toBe(200);
    const trace = await jaeger.waitForTrace(SERVICE, (t) => t.traceID === meta.traceId && t.spans.length >= 3);
    const server = spanNamed(trace, "tools/call spied_get_forecast");
    expect(server).toBeDefined();
    const s = server as JaegerSpan;
    expect(tagOf(s, "span.kind")).toBe("server");
    expect(parentOf(s)).toBe(meta.spanId);
    expect(tagOf(s, "mcp.method.name")).toBe("tools/call");
    expect(tagOf(s, "gen_ai.tool.name")).toBe("spied_get_forecast");
    expect(tagOf(s, "gen_ai.operation.name")).toBe("execute_tool");
    expect(tagOf(s, "jsonrpc.request.id")).toBe(String(call.id));
    expect(tagOf(s, "mcp.protocol.version")).toBe("2025-06-18");
    const hashed = tagOf(s, "mcp.session.id");
    expect(hashed).toMatch(/^[0-9a-f]{16}$/);
    expect(hashed).not.toBe(client.sessionId);
    expect(tagOf(s, "mcp_gateway.consumer")).toBe("tracer");
    expect(tagOf(s, "mcp_gateway.server")).toBe("spied");
    expect(tagOf(s, "mcp_gateway.decision")).toBe("upstream");
    expect(tagOf(s, "gen_ai.tool.call.arguments")).toBeUndefined();
    expect(tagOf(s, "gen_ai.tool.call.result")).toBeUndefined();
    // The header's context, overridden by _meta, is linked.
    expect(s.references.some((r) => r.refType === "FOLLOWS_FROM" && r.traceID === header.traceId)).toBe(true);

    const upstream = spanNamed(trace, "tools/call get_forecast");
    expect(upstream).toBeDefined();
    const u = upstream as JaegerSpan;
    expect(tagOf(u, "span.kind")).toBe("client");
    expect(parentOf(u)).toBe(s.spanID);
    expect(tagOf(u, "server.address")).toBe("127.0.0.1");
    // The lazy backend initialize is a child of the request, with its own upstream calls.
    const init = spanNamed(trace, "initialize backend session");
    expect(init && parentOf(init)).toBe(s.spanID);

    // The upstream got the client span's context in the header and in params._meta.
    const received = spy.requests.find((r) => r.body.includes('"get_forecast"'));
    const expected = new RegExp(`^00-${meta.traceId}-${u.spanID}-01$`);
    expect(received?.headers["traceparent"]).toMatch(expected);
    const body = JSON.parse(received?.body ?? "{}") as { params?: { _meta?: { traceparent?: string } } };
    expect(body.params?._meta?.traceparent).toMatch(expected);

    // The access log's line for this call is in the span's trace (from _meta), not the header's.
    const lineOf = (): Record<string, unknown> | undefined =>
      readFileSync(ACCESS_LOG, "utf8")
        .split("\n")
        .filter((line) => line.includes('"tools/call"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line["jsonrpc_id"] === String(call.id));
    expect(await pollUntil(() => lineOf() !== undefined, 10_000)).toBe(true);
    expect(lineOf()?.["trace_id"]).toBe(meta.traceId);
  });

  it("records a policy refusal with error.type and the refusal reason, and no upstream span", async () => {
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "spied_get_alerts", arguments: { region: "Alps" } },
      { traceparent: parent.traceparent },
    );
    expect(call.text).toContain("error");
    const trace = await jaeger.waitForTrace(SERVICE, (t) => t.traceID === parent.traceId);
    const s = spanNamed(trace, "tools/call spied_get_alerts") as JaegerSpan;
    expect(s).toBeDefined();
    expect(tagOf(s, "error.type")).toMatch(/^-?\d+$/);
    expect(tagOf(s, "otel.status_code")).toBe("ERROR");
    expect(tagOf(s, "mcp_gateway.decision")).toBe("reject");
    expect(String(tagOf(s, "mcp_gateway.refusal_reason"))).toContain("spied_get_alerts");
    expect(trace.spans.filter((span) => tagOf(span, "span.kind") === "client")).toEqual([]);
  });

  it("gives GET /mcp (the notification stream, for its whole life) and DELETE /mcp SERVER spans of their own", async () => {
    const own = new RawMcpClient(stack.url, { authorization: `Bearer ${KEY}` });
    await own.initialize();
    const parent = newTraceparent();
    const headers = {
      authorization: `Bearer ${KEY}`,
      "mcp-session-id": own.sessionId,
      "mcp-protocol-version": "2025-06-18",
      traceparent: parent.traceparent,
    };
    const abort = new AbortController();
    const stream = await fetch(stack.url, {
      headers: { ...headers, accept: "text/event-stream" },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    const held = 300;
    await new Promise((resolve) => setTimeout(resolve, held));
    abort.abort();
    const removed = await fetch(stack.url, { method: "DELETE", headers });
    expect(removed.status).toBeLessThan(300);
    const trace = await jaeger.waitForTrace(
      SERVICE,
      (t) => t.traceID === parent.traceId && t.spans.filter((s) => s.operationName.endsWith(" /mcp")).length === 2,
    );
    for (const method of ["GET", "DELETE"]) {
      const span = spanNamed(trace, `${method} /mcp`) as JaegerSpan;
      expect(tagOf(span, "span.kind")).toBe("server");
      expect(parentOf(span)).toBe(parent.spanId);
      expect(tagOf(span, "http.request.method")).toBe(method);
      expect(tagOf(span, "http.route")).toBe("/mcp");
      expect(tagOf(span, "mcp.session.id")).toMatch(/^[0-9a-f]{16}$/);
      expect(tagOf(span, "mcp.method.name")).toBeUndefined();
      expect(tagOf(span, "mcp_gateway.consumer")).toBe("tracer");
    }
    // The GET span lasts as long as the stream was open (Jaeger durations are in microseconds).
    expect((spanNamed(trace, "GET /mcp") as JaegerSpan).duration).toBeGreaterThanOrEqual(held * 1000);
  });
});

describe("tracing an upstream's error answer", () => {
  let jaeger: JaegerServer;
  let stack: GatewayStack;
  const service = "mcp-gateway-trace-tool-error";

  beforeAll(async () => {
    jaeger = await startJaeger();
    stack = await startGatewayStack(
      { kind: "standalone" },
      {
        tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${service}, captureContent: true }`,
      },
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await jaeger?.stop();
  });

  it("marks a tool result with isError as tool_error on both spans, and records arguments and result with captureContent", async () => {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "weather_get_forecast", arguments: { city: "Oslo", days: 9 } },
      { traceparent: parent.traceparent },
    );
    expect(call.text).toContain('"isError":true');
    const trace = await jaeger.waitForTrace(service, (t) => t.traceID === parent.traceId && t.spans.length >= 2);
    const server = spanNamed(trace, "tools/call weather_get_forecast") as JaegerSpan;
    const upstream = spanNamed(trace, "tools/call get_forecast") as JaegerSpan;
    for (const span of [server, upstream]) {
      expect(tagOf(span, "error.type")).toBe("tool_error");
      expect(tagOf(span, "otel.status_code")).toBe("ERROR");
    }
    expect(JSON.parse(String(tagOf(server, "gen_ai.tool.call.arguments")))).toEqual({ city: "Oslo", days: 9 });
    // The result as the upstream answered it (the response's `result`, read from the streamed reply).
    const result = JSON.parse(String(tagOf(server, "gen_ai.tool.call.result"))) as { isError?: boolean };
    expect(result.isError).toBe(true);
    expect(call.text).toContain(`"result":${JSON.stringify(result)}`);
  });
});

describe("tracing off", () => {
  it("exports no span at all", async () => {
    const jaeger = await startJaeger();
    const service = "mcp-gateway-trace-off";
    const stack = await startGatewayStack(
      { kind: "standalone" },
      { tracing: `{ enabled: false, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${service} }` },
    );
    try {
      const client = new RawMcpClient(stack.url);
      await client.initialize();
      const { traceparent } = newTraceparent();
      const call = await client.request(
        "tools/call",
        { name: "weather_get_forecast", arguments: { city: "Oslo" } },
        {
          traceparent,
        },
      );
      expect(call.status).toBe(200);
      // Longer than the exporter's batch delay (500 ms) and Jaeger's (50 ms): a span would have arrived by then.
      const appeared = await pollUntil(async () => (await jaeger.traces(service)).length > 0, 2_000, 200);
      expect(appeared).toBe(false);
      const services = (await (await fetch(`${jaeger.queryUrl}/api/services`)).json()) as { data: string[] | null };
      expect(services.data ?? []).not.toContain(service);
    } finally {
      await stack.stop();
      await jaeger.stop();
    }
  });
});
