import type { Measurement } from "./gateway-measure";
import { median, pairedMedian, type RoundFigures } from "./overhead-rounds";

/** One route's rounds, with its baseline's (what its added cost is measured against) and the direct route's. */
export interface SideResult {
  name: string;
  rounds: RoundFigures[];
  baseline: { name: string; rounds: RoundFigures[] } | undefined;
  direct: RoundFigures[];
}

const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : "–");
const signed = (n: number): string => (n >= 0 ? "+" : "") + fixed(n);

/** CPU per call the proxying processes (gateway and Envoy) spent in one round. */
const proxyCpu = (r: RoundFigures): number => r.cpuUs.gateway + r.cpuUs.envoy;

/** The `[added p50 ms, throughput ratio, added proxy CPU ÷ upstream CPU]` of `side` over its baseline, medians of rounds. */
export function addedFigures(side: SideResult): [number, number, number] {
  const base = side.baseline?.rounds;
  if (!base) return [Number.NaN, Number.NaN, Number.NaN];
  return [
    pairedMedian(side.rounds, base, (s, b) => s.p50Ms - b.p50Ms),
    pairedMedian(side.rounds, base, (s, b) => s.perSecond / b.perSecond),
    pairedMedian(side.rounds, base, (s, b) => (proxyCpu(s) - proxyCpu(b)) / s.cpuUs.upstream),
  ];
}

/** A markdown table: one row per route, medians of rounds, added figures over each route's baseline. */
export function overheadTable(results: readonly SideResult[]): string {
  const head =
    "| route | p50 ms | p99 ms | calls/s | vs | added p50 ms | throughput × | upstream CPU µs/call | gateway CPU µs/call | Envoy CPU µs/call | added CPU ÷ upstream CPU | client CPU µs/call | failed |";
  const rows = results.map((side) => {
    const r = side.rounds;
    const m = (pick: (x: RoundFigures) => number): number => median(r.map(pick));
    const [added, throughput, cpuRatio] = addedFigures(side);
    const failed = r.reduce((sum, x) => sum + x.failures, 0);
    return [
      side.name,
      fixed(m((x) => x.p50Ms)),
      fixed(m((x) => x.p99Ms)),
      fixed(
        m((x) => x.perSecond),
        0,
      ),
      side.baseline?.name ?? "",
      side.baseline ? signed(added) : "",
      side.baseline ? fixed(throughput) : "",
      fixed(
        m((x) => x.cpuUs.upstream),
        0,
      ),
      fixed(
        m((x) => x.cpuUs.gateway),
        0,
      ),
      fixed(
        m((x) => x.cpuUs.envoy),
        0,
      ),
      side.baseline ? fixed(cpuRatio) : "",
      fixed(
        m((x) => x.cpuUs.client),
        0,
      ),
      failed > 0 ? `${failed}: ${r.find((x) => x.firstError)?.firstError ?? ""}` : "0",
    ].join(" | ");
  });
  return [head, `|${" --- |".repeat(13)}`, ...rows.map((row) => `| ${row} |`)].join("\n");
}

/** The issue-15 targets next to what this run measured, for the standalone and the Envoy-mode gateway. */
export function targetsTable(byLoad: ReadonlyMap<number, readonly SideResult[]>): string {
  const find = (clients: number, name: string): SideResult | undefined =>
    byLoad.get(clients)?.find((side) => side.name === name);
  const rows = ["standalone gateway", "Envoy mode gateway"].flatMap((name) => {
    const one = find(1, name);
    const eight = find(8, name);
    if (!one || !eight) return [];
    const vs = one.baseline?.name ?? "";
    return [
      `| ${name} | added p50 at 1 client (vs ${vs}) | ≤ 0.30 ms | ${signed(addedFigures(one)[0])} ms |`,
      `| ${name} | throughput at 8 clients (vs ${vs}) | ≥ 0.85× | ${fixed(addedFigures(eight)[1])}× |`,
      `| ${name} | added CPU per call ÷ upstream's, 8 clients | ≤ 0.50 | ${fixed(addedFigures(eight)[2])} |`,
    ];
  });
  return ["| gateway | figure | target | measured |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** The pooled figures of a route's rounds as a {@link Measurement} (for the benchmark's failure count). */
export function asMeasurement(side: SideResult): Measurement {
  const calls = side.rounds.reduce((sum, r) => sum + r.calls, 0);
  const failures = side.rounds.reduce((sum, r) => sum + r.failures, 0);
  const p50 = median(side.rounds.map((r) => r.p50Ms));
  const perSecond = median(side.rounds.map((r) => r.perSecond));
  return {
    ...{ name: side.name, clients: 0, calls, failures, seconds: calls / perSecond, perSecond },
    ...{
      p50Ms: p50,
      p99Ms: median(side.rounds.map((r) => r.p99Ms)),
      firstError: side.rounds.find((r) => r.firstError)?.firstError,
    },
  };
}
