// `npm run docs:trace-picture`: sends one tools/call through a real Envoy and the router (Envoy mode, tracing on) to
// the weather example, reads its trace back from a real Jaeger and draws it into docs/images/trace-envoy.svg, the
// picture docs/observability.md shows. Needs Envoy and Jaeger (`npm run envoy:install`, `npm run jaeger:install`).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { startExampleServer } from "@mcp-gateway/example-kit";
import { startJaeger, type JaegerTrace } from "../support/jaeger";
import { startGatewayStack } from "../e2e/gateway-stack";
import { newTraceparent, RawMcpClient } from "../e2e/tracing-client";
import { traceSvg } from "./trace-svg";

const SERVICE = "mcp-gateway";
const OUT = resolve(__dirname, "..", "..", "..", "docs", "images", "trace-envoy.svg");

async function main(): Promise<void> {
  const jaeger = await startJaeger();
  const weather = await startExampleServer("weather");
  const stack = await startGatewayStack(
    { kind: "envoy", store: "memory" },
    {
      tracing: `{ enabled: true, endpoint: "${jaeger.otlpHttpUrl}", serviceName: ${SERVICE} }`,
    },
  );
  try {
    const client = new RawMcpClient(stack.url);
    await client.initialize();
    const parent = newTraceparent();
    const call = await client.request(
      "tools/call",
      { name: "weather_get_forecast", arguments: { city: "Oslo" } },
      { traceparent: parent.traceparent },
    );
    if (call.status !== 200) throw new Error(`tools/call answered ${call.status}`);
    // Envoy exports its spans in batches, after the call: wait for its ingress, ext_proc and upstream spans too.
    const envoySpans = (t: JaegerTrace): number =>
      t.spans.filter((s) => t.processes[s.processID]?.serviceName === `${SERVICE}-envoy`).length;
    const final = await jaeger.waitForTrace(
      SERVICE,
      (t) =>
        t.traceID === parent.traceId &&
        t.spans.some((s) => s.operationName === "tools/call get_forecast") &&
        envoySpans(t) >= 3,
      30_000,
    );
    mkdirSync(dirname(OUT), { recursive: true });
    writeFileSync(OUT, traceSvg(final, `tools/call weather_get_forecast through Envoy: trace ${parent.traceId}`));
    console.log(`${final.spans.length} spans written to ${OUT}`);
  } finally {
    await stack.stop();
    await weather.stop();
    await jaeger.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
