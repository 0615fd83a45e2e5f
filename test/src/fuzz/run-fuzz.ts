import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { discoveredCases, loadFuzzModules, runsFor, type DiscoveredCase } from "./discover";

/**
 * `npm run fuzz`: every property of every module under `properties/` with many runs (default 10^4 per property,
 * divided by its weight; the suite's total is printed and is over 10^5). Prints runs and time per property and in
 * total, and each failure with its seed, path and counterexample; exits 1 on any failure, 2 on bad options.
 *
 *   npm run fuzz -- --runs 50000 --seed 42 --only jsonrpc --only "sse-rewriter: events"
 */

/** The runner's options: runs per property, the seed (random unless given), case id filters, a replay path. */
export interface FuzzOptions {
  runs: number;
  seed: number;
  only: readonly string[];
  path: string | undefined;
}

/** What one property run gave: the cases run and, when it failed, fast-check's report. */
export interface CaseOutcome {
  id: string;
  runs: number;
  millis: number;
  failure: string | undefined;
}

const DEFAULT_RUNS = 10_000;
// Counterexamples can be huge (a 10^5-deep nesting); the seed and path replay them exactly anyway.
const MAX_REPORT_CHARS = 4_000;

const USAGE = "usage: run-fuzz [--runs N] [--seed N] [--only TEXT]... [--path PATH]";

function integer(text: string | undefined, fallback: number, option: string): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`--${option} expects a non-negative integer, got ${JSON.stringify(text)}`);
  return value;
}

/** Parses the command line; throws with a message naming the bad option. */
export function parseFuzzArgs(argv: readonly string[]): FuzzOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: "string" },
      seed: { type: "string" },
      only: { type: "string", multiple: true },
      path: { type: "string" },
    },
    strict: true,
    allowPositionals: false,
  });
  const runs = integer(values.runs, DEFAULT_RUNS, "runs");
  if (runs === 0) throw new Error("--runs must be at least 1");
  // fast-check seeds are 32-bit integers.
  const seed = integer(values.seed, Math.floor(Math.random() * 0x7fffffff), "seed") | 0;
  return { runs, seed, only: values.only ?? [], path: values.path };
}

/** The cases whose id contains one of the `only` texts (all when none is given). */
export function selectCases(cases: readonly DiscoveredCase[], only: readonly string[]): DiscoveredCase[] {
  return only.length === 0 ? [...cases] : cases.filter((c) => only.some((text) => c.id.includes(text)));
}

function truncated(report: string): string {
  return report.length <= MAX_REPORT_CHARS ? report : `${report.slice(0, MAX_REPORT_CHARS)}… (truncated; replay it)`;
}

/** Runs one case with fast-check; a property that throws while being built is a failure too. */
export async function runCase(entry: DiscoveredCase, options: FuzzOptions): Promise<CaseOutcome> {
  const started = performance.now();
  const numRuns = runsFor(entry.fuzzCase, options.runs);
  const millis = (): number => performance.now() - started;
  try {
    const params = { numRuns, seed: options.seed, ...(options.path === undefined ? {} : { path: options.path }) };
    const details = await fc.check(entry.fuzzCase.property(), params);
    const failure = details.failed ? (fc.defaultReportMessage(details) ?? "failed without a report") : undefined;
    return { id: entry.id, runs: details.numRuns, millis: millis(), failure };
  } catch (error: unknown) {
    const failure = `the property could not be built: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    return { id: entry.id, runs: 0, millis: millis(), failure };
  }
}

const quote = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;

/** Runs the selected cases one after the other, printing a line per case; returns every outcome. */
export async function runFuzz(
  cases: readonly DiscoveredCase[],
  options: FuzzOptions,
  print: (line: string) => void,
): Promise<CaseOutcome[]> {
  const width = Math.max(...cases.map((c) => c.id.length));
  const outcomes: CaseOutcome[] = [];
  for (const entry of cases) {
    const outcome = await runCase(entry, options);
    outcomes.push(outcome);
    const time = `${(outcome.millis / 1000).toFixed(1)} s`;
    print(
      `  ${entry.id.padEnd(width)} ${String(outcome.runs).padStart(7)} cases ${time.padStart(8)}  ${outcome.failure ? "FAIL" : "ok"}`,
    );
    if (outcome.failure) {
      print(truncated(outcome.failure).replace(/^/gm, "      "));
      print(`      replay: npm run fuzz -- --only ${quote(entry.id)} --seed ${options.seed} --runs ${options.runs}`);
    }
  }
  return outcomes;
}

/** The runner: loads every property module, runs the selection, prints the totals; resolves to the exit code. */
export async function main(argv: readonly string[], print: (line: string) => void = console.log): Promise<number> {
  let options: FuzzOptions;
  try {
    options = parseFuzzArgs(argv);
  } catch (error: unknown) {
    print(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    return 2;
  }
  const modules = loadFuzzModules(createRequire(__filename));
  const cases = selectCases(discoveredCases(modules), options.only);
  if (cases.length === 0) {
    print(`no fuzz case matches ${options.only.map((text) => JSON.stringify(text)).join(", ")}`);
    return 2;
  }
  print(
    `fuzz: ${cases.length} properties from ${modules.length} modules, seed ${options.seed}, ${options.runs} runs per property (divided by weight)`,
  );
  const started = performance.now();
  const outcomes = await runFuzz(cases, options, print);
  const total = outcomes.reduce((sum, outcome) => sum + outcome.runs, 0);
  const failed = outcomes.filter((outcome) => outcome.failure !== undefined);
  print(`fuzz: ${total} cases, ${failed.length} failures in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const outcome of failed) print(`  failed: ${outcome.id}`);
  return failed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
