import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGatewayContext, hashApiKey, parseConfig, silentLogger, type GatewayContext } from "@mcp-gateway/core";
import { startServer } from "@mcp-gateway/example-weather";
import { createRouter, processorDeps, RouterMetrics, StreamProcessor, type ProcessorDeps } from "@mcp-gateway/router";
import { drive, mergeRuns, startNoopExtProc, type RunResult, type ScriptedRequest } from "./ext-proc-driver";
import { benchRouterTracing } from "./router-tracing-bench";

// Bounded load: a fixed number of streams per run, on loopback only.
const STREAMS = Number(process.env["BENCH_STREAMS"] ?? 4000);
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 16);
const WARMUP = 300;
const ROUNDS = 4;

function script(sessionId: string, extraHeaders: Record<string, string> = {}): ScriptedRequest {
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
      ...extraHeaders,
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

const BENCH_KEY = "mcpgw_bench_key_0123456789";

/** The same gateway with security on: API key, policy, both rate limits (never reached), audit to a file, redaction. */
function securedYaml(weatherUrl: string, auditPath: string | undefined): string {
  return `version: 1
servers:
  - { name: weather, url: "${weatherUrl}" }
consumers:
  - { name: bench, keyHash: "${hashApiKey(BENCH_KEY)}", policy: bench }
policies:
  bench:
    tools: ["weather_*"]
    rateLimit: { rate: 1000000/s, burst: 1000000 }
    toolRateLimit: { rate: 1000000/s, burst: 1000000 }
sanitize:
  rules:
    - keys: [password, token]
${auditPath === undefined ? "" : `audit:\n  file: { path: "${auditPath}" }\n`}`;
}

interface Side {
  name: string;
  address: string;
  request: ScriptedRequest;
  runs: RunResult[];
}

async function startRouter(context: GatewayContext): Promise<{ address: string; shutdown(): Promise<void> }> {
  const router = createRouter({ context, logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) });
  const address = `127.0.0.1:${await router.listen("127.0.0.1:0")}`;
  return { address, shutdown: () => router.shutdown(1000) };
}

async function main(): Promise<void> {
  const weather = await startServer({ port: 0 });
  const dir = await mkdtemp(join(tmpdir(), "router-bench-"));
  const open = parseConfig(`version: 1\nauth: none\nservers:\n  - { name: weather, url: "${weather.url}" }\n`, {});
  const context = await createGatewayContext(open, { logger: silentLogger });
  const secured = await createGatewayContext(parseConfig(securedYaml(weather.url, join(dir, "audit.log")), {}), {
    logger: silentLogger,
  });
  const unaudited = await createGatewayContext(parseConfig(securedYaml(weather.url, undefined), {}), {
    logger: silentLogger,
  });
  await Promise.all([context.upstreams.settled(), secured.upstreams.settled(), unaudited.upstreams.settled()]);
  const router = await startRouter(context);
  const securedRouter = await startRouter(secured);
  const unauditedRouter = await startRouter(unaudited);
  const noop = await startNoopExtProc();
  const request = script(context.sessions.issue());
  const securedRequest = script(secured.sessions.issue("bench"), { authorization: `Bearer ${BENCH_KEY}` });
  const unauditedRequest = script(unaudited.sessions.issue("bench"), { authorization: `Bearer ${BENCH_KEY}` });
  const sides: Side[] = [
    { name: "no-op ext_proc", address: noop.address, request, runs: [] },
    { name: "mcp router", address: router.address, request, runs: [] },
    { name: "mcp router + security", address: securedRouter.address, request: securedRequest, runs: [] },
    { name: "  same, audit off", address: unauditedRouter.address, request: unauditedRequest, runs: [] },
  ];
  for (const side of sides) await drive(side.address, side.request, WARMUP, CONCURRENCY);
  // Rounds rotate which side goes first, so load from elsewhere on the machine hits every side alike.
  for (let round = 0; round < ROUNDS; round++) {
    const perRound = Math.ceil(STREAMS / ROUNDS);
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + round) % sides.length] as Side;
      side.runs.push(await drive(side.address, side.request, perRound, CONCURRENCY));
    }
  }
  const [noopResult, routerResult, securedResult, unauditedResult] = sides.map((side) => mergeRuns(side.runs)) as [
    RunResult,
    RunResult,
    RunResult,
    RunResult,
  ];
  console.log(
    `router benchmark: tools/call ext_proc streams (headers, buffered body, response headers), concurrency ${CONCURRENCY}, ${ROUNDS} interleaved rounds`,
  );
  console.log(line("no-op ext_proc", noopResult));
  console.log(line("mcp router", routerResult));
  console.log(line("mcp router + security", securedResult));
  console.log(line("  same, audit off", unauditedResult));
  console.log(ratio("router/no-op", routerResult, noopResult));
  console.log(ratio("router+security/no-op", securedResult, noopResult));
  console.log(ratio("router+security/router", securedResult, routerResult));
  console.log(ratio("router+security, audit off/router", unauditedResult, routerResult));
  for (const [name, ctx, req] of [
    ["router", context, request],
    ["router + security", secured, securedRequest],
  ] as const) {
    const inProcess = await processingLatency(
      processorDeps(ctx, { logger: silentLogger, metrics: new RouterMetrics({ defaultMetrics: false }) }),
      req,
      STREAMS,
    );
    console.log(
      `${name} processing per stream, in-process (3 phases, no gRPC): p50 ${inProcess.p50Us.toFixed(1)} µs   p99 ${inProcess.p99Us.toFixed(1)} µs`,
    );
  }
  const tracingLoad = { streams: STREAMS, warmup: WARMUP, rounds: ROUNDS, concurrency: CONCURRENCY };
  const tracingOk = await benchRouterTracing(weather.url, (id) => script(id), tracingLoad, line);
  await router.shutdown();
  await securedRouter.shutdown();
  await unauditedRouter.shutdown();
  await unaudited.close();
  await noop.close();
  await context.close();
  await secured.close();
  await weather.close();
  await rm(dir, { recursive: true, force: true });
  if (!tracingOk || sides.some((side) => mergeRuns(side.runs).failures > 0)) process.exitCode = 1;
}

const ratio = (name: string, a: RunResult, b: RunResult): string =>
  `ratio ${name}: throughput ${(a.perSecond / b.perSecond).toFixed(2)}x   p50 ${(a.p50Ms / b.p50Ms).toFixed(2)}x   p99 ${(a.p99Ms / b.p99Ms).toFixed(2)}x`;

void main();
