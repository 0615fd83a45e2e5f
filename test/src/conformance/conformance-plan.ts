import { REVISIONS, type Revision } from "./run-suite";

/** Which fixture upstream serves the run: the SDK v1 one (2025-11-25) or the SDK v2 one (2026-07-28 only). */
export type FixtureGeneration = "2025" | "2026";

/** Where the suite connects: the fixture itself, or the gateway (standalone, or Envoy mode under a real Envoy). */
export type RunMode = "direct" | "standalone" | "envoy";

/** One run of the suite. */
export interface PlannedRun {
  readonly fixture: FixtureGeneration;
  readonly revision: Revision;
  readonly mode: RunMode;
}

/** The subset to run; every list defaults to everything. */
export interface RunSelection {
  readonly fixtures: readonly FixtureGeneration[];
  readonly revisions: readonly Revision[];
  readonly modes: readonly RunMode[];
}

const FIXTURES: readonly FixtureGeneration[] = ["2025", "2026"];
const MODES: readonly RunMode[] = ["direct", "standalone", "envoy"];

// The revision each fixture speaks itself: a direct run at the other one would only measure "not my generation".
const NATIVE_REVISION: Readonly<Record<FixtureGeneration, Revision>> = { "2025": "2025-11-25", "2026": "2026-07-28" };

function pick<T extends string>(option: string, raw: string | undefined, allowed: readonly T[]): readonly T[] {
  if (raw === undefined || raw.trim() === "") return allowed;
  const values = raw.split(",").map((value) => value.trim());
  const unknown = values.filter((value) => !(allowed as readonly string[]).includes(value));
  if (unknown.length > 0)
    throw new Error(`${option}: unknown ${unknown.join(", ")} (one or more of ${allowed.join(", ")})`);
  return allowed.filter((value) => values.includes(value));
}

function argValue(argv: readonly string[], name: string): string | undefined {
  const index = argv.findIndex((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`));
  if (index < 0) return undefined;
  const arg = argv[index] ?? "";
  if (arg.includes("=")) return arg.slice(arg.indexOf("=") + 1);
  const value = argv[index + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`--${name} needs a value`);
  return value;
}

/** Reads `--fixture`, `--revision`, `--mode` (comma lists; argv wins) or CONFORMANCE_FIXTURE/_REVISION/_MODE. */
export function parseSelection(argv: readonly string[], env: NodeJS.ProcessEnv): RunSelection {
  const known = new Set(["--fixture", "--revision", "--mode"]);
  const stray = argv.filter((arg) => arg.startsWith("--") && !known.has(arg.split("=")[0] ?? ""));
  if (stray.length > 0) throw new Error(`unknown option(s): ${stray.join(" ")} (use --fixture, --revision, --mode)`);
  return {
    fixtures: pick("fixture", argValue(argv, "fixture") ?? env["CONFORMANCE_FIXTURE"], FIXTURES),
    revisions: pick("revision", argValue(argv, "revision") ?? env["CONFORMANCE_REVISION"], REVISIONS),
    modes: pick("mode", argValue(argv, "mode") ?? env["CONFORMANCE_MODE"], MODES),
  };
}

/** The runs of a selection, by mode then fixture then revision; direct runs only at the fixture's own revision. */
export function planRuns(selection: RunSelection): PlannedRun[] {
  const runs: PlannedRun[] = [];
  for (const mode of selection.modes) {
    for (const fixture of selection.fixtures) {
      for (const revision of selection.revisions) {
        if (mode === "direct" && NATIVE_REVISION[fixture] !== revision) continue;
        runs.push({ fixture, revision, mode });
      }
    }
  }
  return runs;
}

/** A run's label, e.g. `2025 fixture through standalone, --requirements 2026-07-28`. */
export function runLabel(run: PlannedRun): string {
  const where =
    run.mode === "direct" ? "directly" : run.mode === "standalone" ? "through standalone" : "through Envoy mode";
  return `${run.fixture} fixture ${where}, --requirements ${run.revision}`;
}
