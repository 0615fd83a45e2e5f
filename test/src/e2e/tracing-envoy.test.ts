import { startExampleServer, type RunningProcess } from "@mcp-gateway/example-kit";
import { startBodySpy, type BodySpy } from "../support/body-spy";
import { startJaeger, tagOf, type JaegerServer, type JaegerSpan, type JaegerTrace } from "../support/jaeger";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { newTraceparent, RawMcpClient } from "./tracing-client";

jest.setTimeout(120_000);

const SERVICE = "mcp-gateway-trace-envoy";
const ENVOY_SERVICE = `${SERVICE}-envoy`;

const serviceOf = (trace: JaegerTrace, span: JaegerSpan): string | undefined =>
  trace.processes[span.processID]?.serviceName;
const parentOf = (span: JaegerSpan): string | undefined =>
  span.references.find((r) => r.refType === "CHILD_OF")?.spanID;

/** The one span of `trace` that `service` named `name` (a prefix for Envoy's operation names). */
function only(trace: JaegerTrace, service: string, name: string): JaegerSpan {
  const found = trace.spans.filter((s) => serviceOf(trace, s) === service && s.operationName.startsWith(name));
  const seen = trace.spans.map((s) => `${serviceOf(trace, s)}:${s.operationName}`);
  if (found.length !== 1) throw new Error(`expected one ${service} span ${name}, saw ${JSON.stringify(seen)}`);
  return found[0] as JaegerSpan;
}

describe("tracing in Envoy mode, through a real Envoy, read back from a real Jaeger", () => {
  let jaeger: JaegerServer;
  let weather: RunningProcess & { url: string };
  let spy: BodySpy;
  let stack: GatewayStack;

  beforeAll(async () => {
    jaeger = await startJaeger();
    weather = await startExampleServer("weather");
    spy = await startBodySpy(weather.url);
    stack = await startGatewayStack(
      { kind: "envoy", store: "memory" },
      {
        extraServers: [`name: spied, url: "${spy.url}"`],
        tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${SERVICE}, captureContent: true }`,
      },
    );
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await spy?.close();
    await weather?.stop();
    await jaeger?.stop();
  });

  it("makes one tools/call one trace: client → Envoy → ext_proc → router span → upstream call spans", async () => {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "spied_get_forecast", arguments: { city: "Oslo" } },
      { traceparent: parent.traceparent },
    );
    expect(call.status).toBe(200);
    const trace = await jaeger.waitForTrace(
      SERVICE,
      (t) =>
        t.traceID === parent.traceId &&
        t.spans.some((s) => s.operationName === "tools/call get_forecast") &&
        t.spans.filter((s) => serviceOf(t, s) === ENVOY_SERVICE).length >= 3,
    );
    const ingress = only(trace, ENVOY_SERVICE, "ingress");
    expect(parentOf(ingress)).toBe(parent.spanId);
    // Envoy's span for the ext_proc stream carries its context to the router in the stream's gRPC metadata.
    const extProc = only(trace, ENVOY_SERVICE, "async envoy.service.ext_proc.v3.ExternalProcessor.Process");
    expect(parentOf(extProc)).toBe(ingress.spanID);
    const router = only(trace, SERVICE, "tools/call spied_get_forecast");
    expect(parentOf(router)).toBe(extProc.spanID);
    expect(tagOf(router, "span.kind")).toBe("server");
    expect(tagOf(router, "mcp.method.name")).toBe("tools/call");
    expect(tagOf(router, "gen_ai.tool.name")).toBe("spied_get_forecast");
    expect(tagOf(router, "mcp_gateway.decision")).toBe("upstream");
    expect(tagOf(router, "mcp_gateway.server")).toBe("spied");
    const upstreamCall = only(trace, SERVICE, "tools/call get_forecast");
    expect(parentOf(upstreamCall)).toBe(router.spanID);
    expect(tagOf(upstreamCall, "span.kind")).toBe("client");
    const init = only(trace, SERVICE, "initialize backend session");
    expect(parentOf(init)).toBe(router.spanID);
    const envoyUpstream = only(trace, ENVOY_SERVICE, "router mcp_server_spied egress");
    expect(parentOf(envoyUpstream)).toBe(ingress.spanID);

    // The upstream sees Envoy's upstream span in the header (Envoy sets it) and the router's call span in _meta.
    const received = spy.requests.find((r) => r.body.includes('"get_forecast"'));
    expect(received?.headers["traceparent"]).toMatch(new RegExp(`^00-${parent.traceId}-${envoyUpstream.spanID}-01$`));
    const body = JSON.parse(received?.body ?? "{}") as { params?: { _meta?: { traceparent?: string } } };
    expect(body.params?._meta?.traceparent).toMatch(new RegExp(`^00-${parent.traceId}-${upstreamCall.spanID}-01$`));
  });

  it("traces a broker-bound request in the router and in the broker, both under Envoy's spans", async () => {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const list = await client.request("tools/list", {}, { traceparent: parent.traceparent });
    expect(list.status).toBe(200);
    const trace = await jaeger.waitForTrace(
      SERVICE,
      (t) =>
        t.traceID === parent.traceId &&
        t.spans.filter((s) => s.operationName === "tools/list").length === 2 &&
        t.spans.filter((s) => serviceOf(t, s) === ENVOY_SERVICE).length >= 3,
    );
    const ingress = only(trace, ENVOY_SERVICE, "ingress");
    const extProc = only(trace, ENVOY_SERVICE, "async envoy.service.ext_proc.v3.ExternalProcessor.Process");
    // Envoy's request to the broker cluster carries its context to the broker in the traceparent header.
    const toBroker = only(trace, ENVOY_SERVICE, "router mcp_broker egress");
    expect(parentOf(toBroker)).toBe(ingress.spanID);
    const lists = trace.spans.filter((s) => s.operationName === "tools/list");
    const router = lists.find((s) => parentOf(s) === extProc.spanID);
    const broker = lists.find((s) => parentOf(s) === toBroker.spanID);
    expect(router && tagOf(router, "mcp_gateway.decision")).toBe("broker");
    expect(broker && tagOf(broker, "span.kind")).toBe("server");
    expect(broker && tagOf(broker, "mcp.method.name")).toBe("tools/list");
  });

  it("reads a traced call's reply through the router: an isError result is tool_error, and the result is captured", async () => {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "weather_get_forecast", arguments: { city: "Oslo", days: 9 } },
      { traceparent: parent.traceparent },
    );
    expect(call.text).toContain('"isError":true');
    const trace = await jaeger.waitForTrace(
      SERVICE,
      (t) => t.traceID === parent.traceId && t.spans.some((s) => s.operationName === "tools/call get_forecast"),
    );
    const router = only(trace, SERVICE, "tools/call weather_get_forecast");
    const upstreamCall = only(trace, SERVICE, "tools/call get_forecast");
    for (const span of [router, upstreamCall]) {
      expect(tagOf(span, "error.type")).toBe("tool_error");
      expect(tagOf(span, "otel.status_code")).toBe("ERROR");
    }
    expect(JSON.parse(String(tagOf(router, "gen_ai.tool.call.arguments")))).toEqual({ city: "Oslo", days: 9 });
    const result = JSON.parse(String(tagOf(router, "gen_ai.tool.call.result"))) as { isError?: boolean };
    expect(result.isError).toBe(true);
    expect(call.text).toContain(`"result":${JSON.stringify(result)}`);
  });

  it("names a GET /mcp stream's spans GET /mcp in the router and in the broker", async () => {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const abort = new AbortController();
    const stream = await fetch(stack.url, {
      headers: {
        accept: "text/event-stream",
        "mcp-session-id": client.sessionId,
        "mcp-protocol-version": "2025-06-18",
        traceparent: parent.traceparent,
      },
      signal: abort.signal,
    });
    expect(stream.status).toBe(200);
    abort.abort();
    const trace = await jaeger.waitForTrace(
      SERVICE,
      (t) =>
        t.traceID === parent.traceId &&
        t.spans.filter((s) => s.operationName === "GET /mcp").length === 2 &&
        t.spans.filter((s) => serviceOf(t, s) === ENVOY_SERVICE).length >= 3,
    );
    const gets = trace.spans.filter((s) => s.operationName === "GET /mcp");
    const extProc = only(trace, ENVOY_SERVICE, "async envoy.service.ext_proc.v3.ExternalProcessor.Process");
    const toBroker = only(trace, ENVOY_SERVICE, "router mcp_broker egress");
    expect(gets.map(parentOf).sort()).toEqual([extProc.spanID, toBroker.spanID].sort());
    for (const span of gets) {
      expect(tagOf(span, "span.kind")).toBe("server");
      expect(tagOf(span, "http.request.method")).toBe("GET");
    }
  });
});
