import { startExampleServer } from "@mcp-gateway/example-kit";
import { Cleanup } from "./gateway-cleanup";
import { compareEndpoints, toolCall, type Load } from "./gateway-clients";
import { formatMeasurement, type Measurement } from "./gateway-measure";
import { afterFirstHealthRound, startStandaloneGateway, waitForReadyUpstreams } from "./gateway-standalone";
import { startOtlpSink } from "./otlp-sink";

const LOAD: Load = { clients: 8, warmUpCalls: 25, calls: 200, rounds: 4 };

const ratio = (label: string, on: Measurement, off: Measurement): string => {
  const r = (x: number, y: number): string => `${(y > 0 ? x / y : Number.NaN).toFixed(2)}x`;
  return `ratio ${label}/tracing off: p50 ${r(on.p50Ms, off.p50Ms)}  p99 ${r(on.p99Ms, off.p99Ms)}  throughput ${r(on.perSecond, off.perSecond)}`;
};

/**
 * Part 3: the cost of tracing. Two standalone gateway processes in front of the same weather server, one with tracing
 * off and one exporting every span to a no-op OTLP/HTTP sink on loopback, measured interleaved with 8 clients.
 */
export async function benchTracing(): Promise<Measurement[]> {
  const cleanup = new Cleanup();
  try {
    const weather = await startExampleServer("weather", 0);
    cleanup.add(() => weather.stop());
    const sink = await startOtlpSink();
    cleanup.add(() => sink.close());
    const servers = [{ name: "weather", url: weather.url }];
    const off = await startStandaloneGateway(servers, cleanup);
    const on = await startStandaloneGateway(
      servers,
      cleanup,
      `tracing: { enabled: true, endpoint: "${sink.url}", sampleRatio: 1 }\n`,
    );
    await Promise.all([waitForReadyUpstreams(off, 1), waitForReadyUpstreams(on, 1)]);
    await afterFirstHealthRound();
    console.log("tracing: standalone gateway with tracing off vs on (no-op OTLP/HTTP sink), rounds interleaved");
    const call = toolCall("weather_get_forecast", { city: "Amsterdam", days: 3 });
    const [offResult, onResult] = await compareEndpoints(
      { name: "tracing off, 8 clients", url: off.url, call },
      { name: "tracing on, 8 clients", url: on.url, call },
      LOAD,
    );
    console.log(
      [formatMeasurement(offResult), formatMeasurement(onResult), ratio("tracing on", onResult, offResult)].join("\n"),
    );
    console.log(`OTLP sink received ${sink.exports()} exports, ${(sink.bytes() / 1024).toFixed(0)} KiB`);
    return [offResult, onResult];
  } finally {
    await cleanup.run();
  }
}
