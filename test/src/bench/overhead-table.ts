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

/** Route names of the no-op hops, the baselines of the gateway's own share. */
export const NOOP_PROXY = "no-op Node proxy";
export const NOOP_EXT_PROC = "no-op ext_proc (Envoy)";

/** Which no-op hop each gateway's own share is measured against. */
const OWN_SHARE_BASELINE: Readonly<Record<string, string>> = {
  "standalone gateway": NOOP_PROXY,
  "Envoy mode gateway": NOOP_EXT_PROC,
};

/** `side` measured against the route called `baseline` of the same run instead of its own baseline. */
function against(side: SideResult, results: readonly SideResult[], baseline: string): SideResult | undefined {
  const base = results.find((r) => r.name === baseline);
  return base ? { ...side, baseline: { name: base.name, rounds: base.rounds } } : undefined;
}

/** The three target rows of `name` (1-client and 8-client results), against their baseline. */
function targetRows(name: string, one: SideResult, eight: SideResult, target: boolean): string[] {
  const vs = one.baseline?.name ?? "";
  const [goal1, goal8, goalCpu] = target ? ["≤ 0.30 ms", "≥ 0.85×", "≤ 0.50"] : ["", "", ""];
  return [
    `| ${name} | added p50 at 1 client (vs ${vs}) | ${goal1} | ${signed(addedFigures(one)[0])} ms |`,
    `| ${name} | throughput at 8 clients (vs ${vs}) | ${goal8} | ${fixed(addedFigures(eight)[1])}× |`,
    `| ${name} | added CPU per call ÷ upstream's, 8 clients (vs ${vs}) | ${goalCpu} | ${fixed(addedFigures(eight)[2])} |`,
  ];
}

/**
 * The issue-15 targets next to what this run measured, for the standalone and the Envoy-mode gateway; then the
 * gateway's own share, the same figures over the no-op hop of its mode; and the no-op hops' own figures (what a hop
 * that does nothing costs on this machine).
 */
export function targetsTable(byLoad: ReadonlyMap<number, readonly SideResult[]>): string {
  const [ones, eights] = [byLoad.get(1) ?? [], byLoad.get(8) ?? []];
  const rows = [NOOP_PROXY, "standalone gateway", NOOP_EXT_PROC, "Envoy mode gateway"].flatMap((name) => {
    const one = ones.find((side) => side.name === name);
    const eight = eights.find((side) => side.name === name);
    if (!one || !eight) return [];
    const noop = OWN_SHARE_BASELINE[name];
    // A no-op hop's own rows: the same figures for a hop that does nothing, for scale.
    if (noop === undefined) return targetRows(`${name} (reference)`, one, eight, false);
    const [oneOwn, eightOwn] = [against(one, ones, noop), against(eight, eights, noop)];
    const own = oneOwn && eightOwn ? targetRows(`${name}, own share`, oneOwn, eightOwn, false) : [];
    return [...targetRows(name, one, eight, true), ...own];
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
