import type { Client } from "@modelcontextprotocol/sdk/client/index.js";

/** Latency percentiles (ms) and throughput of one bounded run: `calls` calls over `clients` concurrent clients. */
export interface Measurement {
  name: string;
  clients: number;
  calls: number;
  failures: number;
  /** Wall time spent on this side's calls (the other side's rounds excluded). */
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** The first failure's message, to print next to the numbers. */
  firstError: string | undefined;
}

/** One MCP request a client makes; it rejects when the answer is an error or not what was expected. */
export type McpCall = (client: Client) => Promise<void>;

/** One side of a comparison: connected clients and the call they make. */
export interface Side {
  name: string;
  clients: readonly Client[];
  call: McpCall;
}

/** What the clients of one side have seen so far. */
interface Tally {
  latencies: number[];
  failures: number;
  firstError: string | undefined;
  seconds: number;
}

const newTally = (): Tally => ({ latencies: [], failures: 0, firstError: undefined, seconds: 0 });

/** The `p`th percentile of ascending `sorted` samples (nearest rank, same rule as the router benchmark). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

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

/** All clients of `side` at once, `calls` each (one call in flight per client, as an agent would); adds to `tally`. */
async function runChunk(side: Side, calls: number, tally: Tally): Promise<void> {
  const started = process.hrtime.bigint();
  await Promise.all(side.clients.map((client) => callRepeatedly(client, side.call, calls, tally)));
  tally.seconds += Number(process.hrtime.bigint() - started) / 1e9;
}

function summarize(side: Side, tally: Tally): Measurement {
  const latencies = tally.latencies.sort((a, b) => a - b);
  return {
    name: side.name,
    clients: side.clients.length,
    calls: latencies.length,
    failures: tally.failures,
    seconds: tally.seconds,
    perSecond: latencies.length / tally.seconds,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    firstError: tally.firstError,
  };
}

/** Warms every client of `side` up (JIT, connection pools, lazy backend sessions); throws on any failure. */
export async function warmUp(side: Side, callsPerClient: number): Promise<void> {
  const tally = newTally();
  await runChunk(side, callsPerClient, tally);
  if (tally.failures > 0) throw new Error(`${side.name}: ${tally.failures} warm-up calls failed: ${tally.firstError}`);
}

/**
 * Measures both sides in `rounds` alternating rounds (A B, B A, A B, ...) of `callsPerClient / rounds` calls per
 * client, so that load from outside the benchmark and drift over the run weigh on both sides alike.
 */
export async function measurePair(
  a: Side,
  b: Side,
  callsPerClient: number,
  rounds: number,
): Promise<[Measurement, Measurement]> {
  const [first, second] = await measureInterleaved([a, b], callsPerClient, rounds);
  return [first as Measurement, second as Measurement];
}

/** measurePair for any number of sides: every round runs them all, the order rotated by one each round. */
export async function measureInterleaved(
  sides: readonly Side[],
  callsPerClient: number,
  rounds: number,
): Promise<Measurement[]> {
  const tallies = sides.map(() => newTally());
  const perRound = Math.ceil(callsPerClient / rounds);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length;
      await runChunk(sides[i] as Side, perRound, tallies[i] as Tally);
    }
  }
  return sides.map((side, i) => summarize(side, tallies[i] as Tally));
}

/** One report line: `name  p50 x ms  p99 y ms  z calls/s  (calls, failures)`. */
export function formatMeasurement(m: Measurement): string {
  const failed = m.failures > 0 ? `, ${m.failures} FAILED: ${m.firstError ?? ""}` : "";
  return `${m.name.padEnd(46)} p50 ${m.p50Ms.toFixed(2).padStart(7)} ms  p99 ${m.p99Ms.toFixed(2).padStart(7)} ms  ${m.perSecond.toFixed(0).padStart(6)} calls/s  (${m.calls} calls${failed})`;
}

/** The ratio line of a gateway run over its direct baseline: latency (higher is slower), throughput (lower is slower). */
export function formatRatio(label: string, gateway: Measurement, direct: Measurement): string {
  const ratio = (x: number, y: number): string => `${(y > 0 ? x / y : Number.NaN).toFixed(2)}x`;
  return `ratio gateway/direct ${label}: p50 ${ratio(gateway.p50Ms, direct.p50Ms)}  p99 ${ratio(gateway.p99Ms, direct.p99Ms)}  throughput ${ratio(gateway.perSecond, direct.perSecond)}`;
}

/** The three report lines of a comparison: direct, gateway, and their ratio. */
export function formatComparison(label: string, direct: Measurement, gateway: Measurement): string {
  return [formatMeasurement(direct), formatMeasurement(gateway), formatRatio(label, gateway, direct)].join("\n");
}
