import { randomBytes } from "node:crypto";
import { startJaeger, tagOf, type JaegerServer } from "./jaeger";

// The trace backend the tracing tests read back from: a real Jaeger all-in-one, fed here over OTLP/HTTP JSON exactly
// as an OpenTelemetry exporter sends it, so a broken harness fails here rather than as a missing gateway span.
describe("Jaeger test backend", () => {
  let jaeger: JaegerServer;
  beforeAll(async () => {
    jaeger = await startJaeger();
  }, 60_000);
  afterAll(() => jaeger?.stop());

  it("stores an OTLP span and returns it with its parent link and attributes", async () => {
    const traceId = randomBytes(16).toString("hex");
    const [parent, child] = [randomBytes(8).toString("hex"), randomBytes(8).toString("hex")];
    const now = BigInt(Date.now()) * 1_000_000n;
    const span = (spanId: string, name: string, parentSpanId?: string) => ({
      traceId,
      spanId,
      ...(parentSpanId ? { parentSpanId } : {}),
      name,
      kind: 2,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 1_000_000n),
      attributes: [{ key: "mcp.method.name", value: { stringValue: "tools/call" } }],
    });
    const response = await fetch(`${jaeger.otlpHttpUrl}/v1/traces`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: "service.name", value: { stringValue: "harness-check" } }] },
            scopeSpans: [{ spans: [span(parent, "outer"), span(child, "inner", parent)] }],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
    const trace = await jaeger.waitForTrace("harness-check", (t) => t.traceID === traceId && t.spans.length === 2);
    const inner = trace.spans.find((s) => s.operationName === "inner");
    expect(inner?.references).toEqual([{ refType: "CHILD_OF", traceID: traceId, spanID: parent }]);
    expect(inner && tagOf(inner, "mcp.method.name")).toBe("tools/call");
  }, 30_000);
});
