import { createGatewayContext, parseConfig, silentLogger } from "@mcp-gateway/core";
import { startServer } from "@mcp-gateway/example-weather";
import { createRouter, RouterMetrics, StreamProcessor, type ProcessorDeps } from "@mcp-gateway/router";
import { drive, mergeRuns, startNoopExtProc, type RunResult, type ScriptedRequest } from "./ext-proc-driver";

// Bounded load: a fixed number of streams per run, on loopback only.
const STREAMS = Number(process.env["BENCH_STREAMS"] ?? 4000);
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 16);
const WARMUP = 300;
const ROUNDS = 4;

function script(sessionId: string): ScriptedRequest {
  const body = JSON.stringify({
    jsonrpc: "2.0",
    id: 42,
    method: "tools/call",
    params: {
      name: "weather_get_forecast",
      arguments: { city: "Amsterdam", days: 3 },
      _meta: { progressToken: "p-1" },
    },
  });
  return {
    headers: {
      ":method": "POST",
      ":path": "/mcp",
      ":authority": "gateway.example:8080",
      ":scheme": "http",
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "content-length": String(Buffer.byteLength(body)),
      "mcp-session-id": sessionId,
      "mcp-protocol-version": "2025-06-18",
      "user-agent": "bench",
      "x-request-id": "0f4c6a1e-8d0e-4a4b-9a77-5a2c9d1f0c11",
    },
    body: Buffer.from(body),
    responseHeaders: { ":status": "200", "content-type": "text/event-stream", "mcp-session-id": "backend-session-id" },
  };
}

const line = (name: string, r: RunResult): string =>
  `${name.padEnd(22)} ${r.perSecond.toFixed(0).padStart(7)} decisions/s   p50 ${r.p50Ms.toFixed(3)} ms   p99 ${r.p99Ms.toFixed(3)} ms   (${r.streams} streams, ${r.failures} failed)`;

/** Time for one processor to answer the three phases of a stream in-process (no gRPC): the router's own cost. */
async function processingLatency(
  deps: ProcessorDeps,
  request: ScriptedRequest,
  count: number,
): Promise<{ p50Us: number; p99Us: number }> {
  const toList = (headers: Record<string, string>): { key: string; raw_value: Buffer }[] =>
    Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) }));
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const processor = new StreamProcessor(deps);
    await processor.process({ request_headers: { headers: { headers: toList(request.headers) } } });
    await processor.process({ request_body: { body: request.body, end_of_stream: true } });
    await processor.process({ response_headers: { headers: { headers: toList(request.responseHeaders) } } });
    samples.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  samples.sort((a, b) => a - b);
  const at = (p: number): number => samples[Math.floor((p / 100) * (samples.length - 1))] ?? 0;
  return { p50Us: at(50), p99Us: at(99) };
}

async function main(): Promise<void> {
  const weather = await startServer({ port: 0 });
  const config = parseConfig(`version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weather.url}" }\n`, {});
  const context = await createGatewayContext(config, { logger: silentLogger });
  await context.upstreams.settled();
  const router = createRouter({ context, logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
  const routerAddress = `127.0.0.1:${await router.listen("127.0.0.1:0")}`;
  const noop = await startNoopExtProc();
  const request = script(context.sessions.issue());

  await drive(routerAddress, request, WARMUP, CONCURRENCY);
  await drive(noop.address, request, WARMUP, CONCURRENCY);
  // Rounds alternate which side goes first, so load from elsewhere on the machine hits both sides alike.
  const noopRuns: RunResult[] = [];
  const routerRuns: RunResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const perRound = Math.ceil(STREAMS / ROUNDS);
    const sides = [
      async () => noopRuns.push(await drive(noop.address, request, perRound, CONCURRENCY)),
      async () => routerRuns.push(await drive(routerAddress, request, perRound, CONCURRENCY)),
    ];
    for (const side of round % 2 === 0 ? sides : sides.reverse()) await side();
  }
  const noopResult = mergeRuns(noopRuns);
  const routerResult = mergeRuns(routerRuns);

  console.log(
    `router benchmark: tools/call ext_proc streams (headers, buffered body, response headers), concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds`,
  );
  console.log(line("no-op ext_proc", noopResult));
  console.log(line("mcp router", routerResult));
  console.log(
    `ratio router/no-op: throughput ${(routerResult.perSecond / noopResult.perSecond).toFixed(2)}x   p50 ${(routerResult.p50Ms / noopResult.p50Ms).toFixed(2)}x   p99 ${(routerResult.p99Ms / noopResult.p99Ms).toFixed(2)}x`,
  );
  const inProcess = await processingLatency(
    {
      pipeline: context.pipeline,
      http: context.http,
      metrics: new RouterMetrics({ defaultMetrics: false }),
      logger: silentLogger,
      maxBodyBytes: () => 1_048_576,
      hostGuard: () => context.hostGuard(),
      cors: () => context.cors(),
      security: context.security.gate,
      maxHeaderBytes: () => 16_384,
      replayTimeoutMs: 4000,
    },
    request,
    STREAMS,
  );
  console.log(
    `router processing per stream, in-process (3 phases, no gRPC): p50 ${inProcess.p50Us.toFixed(1)} µs   p99 ${inProcess.p99Us.toFixed(1)} µs`,
  );
  await router.shutdown(1000);
  await noop.close();
  await context.close();
  await weather.close();
  if (routerResult.failures > 0) process.exitCode = 1;
}

void main();
