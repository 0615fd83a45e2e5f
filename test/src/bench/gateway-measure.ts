import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

/** Latency percentiles (ms) and throughput of one bounded run: `calls` calls over `clients` concurrent clients. */
export interface Measurement {
  name: string;
  clients: number;
  calls: number;
  failures: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The first failure's message, to print next to the numbers. */
  firstError: string | undefined;
}

/** One MCP request a client makes; it rejects when the answer is an error or not what was expected. */
export type McpCall = (client: Client) => Promise<void>;

/** The `p`th percentile of ascending `sorted` samples (nearest rank, same rule as the router benchmark). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** What the clients of one run have seen so far. */
interface Tally {
  latencies: number[];
  failures: number;
  firstError: string | undefined;
}

const newTally = (): Tally => ({ latencies: [], failures: 0, firstError: undefined });

/** Makes `count` sequential calls on one client, recording each latency (ms) or failure in `tally`. */
async function callRepeatedly(client: Client, call: McpCall, count: number, tally: Tally): Promise<void> {
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    try {
      await call(client);
      tally.latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    } catch (error: unknown) {
      tally.failures += 1;
      tally.firstError ??= error instanceof Error ? error.message : String(error);
    }
  }
}

/**
 * Runs `callsPerClient` calls on every client at once (each client one call in flight, as an agent would) and
 * measures the whole: wall time gives throughput, each call's own time gives the percentiles.
 */
export async function measure(
  name: string,
  clients: readonly Client[],
  callsPerClient: number,
  call: McpCall,
): Promise<Measurement> {
  const tally = newTally();
  const started = process.hrtime.bigint();
  await Promise.all(clients.map((client) => callRepeatedly(client, call, callsPerClient, tally)));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const latencies = tally.latencies.sort((a, b) => a - b);
  return {
    name,
    clients: clients.length,
    calls: latencies.length,
    failures: tally.failures,
    seconds,
    perSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    firstError: tally.firstError,
  };
}

/** Warms every client up (JIT, connection pools, the gateway's lazy backend sessions); throws on any failure. */
export async function warmUp(clients: readonly Client[], callsPerClient: number, call: McpCall): Promise<void> {
  const tally = newTally();
  await Promise.all(clients.map((client) => callRepeatedly(client, call, callsPerClient, tally)));
  if (tally.failures > 0) throw new Error(`${tally.failures} warm-up calls failed: ${tally.firstError ?? ""}`);
}

/** One report line: `name  p50 x ms  p99 y ms  z calls/s  (calls, failures)`. */
export function formatMeasurement(m: Measurement): string {
  const failed = m.failures > 0 ? `, ${m.failures} FAILED: ${m.firstError ?? ""}` : "";
  return `${m.name.padEnd(46)} p50 ${m.p50Ms.toFixed(2).padStart(7)} ms  p99 ${m.p99Ms.toFixed(2).padStart(7)} ms  ${m.perSecond.toFixed(0).padStart(6)} calls/s  (${m.calls} calls${failed})`;
}

/** The ratio line of a gateway run over its direct baseline: latency (higher is slower) and throughput (lower is slower). */
export function formatRatio(label: string, gateway: Measurement, direct: Measurement): string {
  const ratio = (a: number, b: number): string => `${(b > 0 ? a / b : Number.NaN).toFixed(2)}x`;
  return `ratio gateway/direct ${label}: p50 ${ratio(gateway.p50Ms, direct.p50Ms)}  p99 ${ratio(gateway.p99Ms, direct.p99Ms)}  throughput ${ratio(gateway.perSecond, direct.perSecond)}`;
}
