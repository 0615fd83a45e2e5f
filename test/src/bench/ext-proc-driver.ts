import * as grpc from "@grpc/grpc-js";
import { HealthImplementation } from "grpc-health-check";
import {
  EXT_PROC_SERVICE_NAME,
  loadExtProcService,
  type ProcessingRequest,
  type ProcessingResponse,
} from "@mcp-gateway/router";

/** One HTTP request as Envoy would present it to ext_proc: headers, a buffered body, the upstream's response headers. */
export interface ScriptedRequest {
  headers: Record<string, string>;
  body: Buffer;
  responseHeaders: Record<string, string>;
}

const toHeaderMap = (headers: Record<string, string>): { headers: { key: string; raw_value: Buffer }[] } => ({
  headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
});

/** Latency percentiles (ms) and throughput of one run. */
export interface RunResult {
  streams: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  failures: number;
  /** Every stream's latency (ms), sorted. */
  latencies: number[];
}

/** One result from several rounds of the same side: all latencies pooled, throughput over the summed time. */
export function mergeRuns(runs: readonly RunResult[]): RunResult {
  const latencies = runs.flatMap((r) => r.latencies);
  const seconds = runs.reduce((sum, r) => sum + r.seconds, 0);
  return summarize(
    latencies,
    seconds,
    runs.reduce((sum, r) => sum + r.failures, 0),
  );
}

function summarize(latencies: number[], seconds: number, failures: number): RunResult {
  latencies.sort((a, b) => a - b);
  return {
    streams: latencies.length,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    failures,
    latencies,
  };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Drives one ext_proc stream through the three phases Envoy sends for a tools/call; resolves to its latency (ms). */
function runStream(
  client: grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> },
  script: ScriptedRequest,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const stream = client.Process();
    const messages: ProcessingRequest[] = [
      { request_headers: { headers: toHeaderMap(script.headers), end_of_stream: false } },
      { request_body: { body: script.body, end_of_stream: true } },
      { response_headers: { headers: toHeaderMap(script.responseHeaders), end_of_stream: false } },
    ];
    let next = 0;
    const sendNext = (): void => {
      const message = messages[next++];
      if (message) stream.write(message);
      else stream.end();
    };
    stream.on("data", (answer: ProcessingResponse) => {
      if ("immediate_response" in answer) {
        stream.cancel();
        reject(new Error(`immediate response: ${answer.immediate_response.body?.toString() ?? ""}`));
        return;
      }
      sendNext();
    });
    stream.on("error", (error: unknown) => reject(error instanceof Error ? error : new Error(String(error))));
    stream.on("end", () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    sendNext();
  });
}

/** Runs `total` streams with `concurrency` in flight against an ext_proc server at `address`. */
export async function drive(
  address: string,
  script: ScriptedRequest,
  total: number,
  concurrency: number,
): Promise<RunResult> {
  const { Client } = loadExtProcService();
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as Parameters<typeof runStream>[0];
  const latencies: number[] = [];
  let failures = 0;
  let issued = 0;
  const started = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (issued < total) {
      issued += 1;
      try {
        latencies.push(await runStream(client, script));
      } catch {
        failures += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  client.close();
  return summarize(latencies, seconds, failures);
}

/**
 * The baseline: an ext_proc server that answers every message with "continue" and does nothing else (and reports
 * SERVING on gRPC health, as the router does, so an Envoy cluster health-checking it keeps it in rotation).
 */
export async function startNoopExtProc(): Promise<{ address: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  new HealthImplementation({ "": "SERVING", [EXT_PROC_SERVICE_NAME]: "SERVING" }).addToServer(server);
  server.addService(loadExtProcService().definition, {
    Process(stream: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
      stream.on("data", (message: ProcessingRequest) => {
        if (message.request_headers) stream.write({ request_headers: {} });
        else if (message.request_body) stream.write({ request_body: {} });
        else if (message.response_headers) stream.write({ response_headers: {} });
      });
      stream.on("end", () => stream.end());
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, close: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}
