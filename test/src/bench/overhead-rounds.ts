import { measureInterleaved, type Side } from "./gateway-measure";
import { cpuSeconds, ownCpuSeconds } from "./proc-stats";

/** The processes whose CPU a side's calls cost, besides the benchmark client itself. */
export interface SideProcesses {
  upstream: number;
  /** The gateway's own Node process (standalone, or router + broker in Envoy mode). */
  gateway?: number;
  envoy?: number;
}

/** One side of the overhead comparison: connected clients, their call, the processes to read CPU from. */
export interface OverheadSide extends Side {
  processes: SideProcesses;
}

/** What one round of one side measured; CPU figures are microseconds per call. */
export interface RoundFigures {
  calls: number;
  failures: number;
  firstError: string | undefined;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  cpuUs: { upstream: number; gateway: number; envoy: number; client: number };
}

interface CpuSample {
  upstream: number;
  gateway: number;
  envoy: number;
  client: number;
}

function sample(processes: SideProcesses): CpuSample {
  const read = (pid: number | undefined): number => (pid === undefined ? 0 : cpuSeconds(pid));
  return {
    upstream: read(processes.upstream),
    gateway: read(processes.gateway),
    envoy: read(processes.envoy),
    client: ownCpuSeconds(),
  };
}

/** One round of `side`: `callsPerClient` calls on every client at once, with the CPU each process spent on them. */
async function measureRound(side: OverheadSide, callsPerClient: number): Promise<RoundFigures> {
  const before = sample(side.processes);
  const [m] = await measureInterleaved([side], callsPerClient, 1);
  const after = sample(side.processes);
  if (!m) throw new Error(`${side.name}: no measurement`);
  const perCall = (key: keyof CpuSample): number => ((after[key] - before[key]) * 1e6) / Math.max(1, m.calls);
  return {
    ...{ calls: m.calls, failures: m.failures, firstError: m.firstError },
    ...{ p50Ms: m.p50Ms, p99Ms: m.p99Ms, perSecond: m.perSecond },
    cpuUs: {
      upstream: perCall("upstream"),
      gateway: perCall("gateway"),
      envoy: perCall("envoy"),
      client: perCall("client"),
    },
  };
}

/**
 * Runs every side for `rounds` rounds, interleaved (A B C, B C A, ...), so drift and outside load weigh on all
 * sides alike; returns each side's figures round by round (`[side][round]`).
 */
export async function measureRounds(
  sides: readonly OverheadSide[],
  callsPerClient: number,
  rounds: number,
): Promise<RoundFigures[][]> {
  const figures: RoundFigures[][] = sides.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length;
      figures[i]?.push(await measureRound(sides[i] as OverheadSide, callsPerClient));
    }
  }
  return figures;
}

/** The median of `values` (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The median over rounds of `pick(side round, baseline round)`: a paired figure (difference, ratio) per round. */
export function pairedMedian(
  side: readonly RoundFigures[],
  base: readonly RoundFigures[],
  pick: (s: RoundFigures, b: RoundFigures) => number,
): number {
  return median(side.map((s, i) => pick(s, base[i] as RoundFigures)));
}
