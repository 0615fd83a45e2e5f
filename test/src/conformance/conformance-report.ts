import type { RunningServer } from "@mcp-gateway/example-kit";
import { startGatewayStack, type GatewayStack, type StackMode } from "../e2e/gateway-stack";
import {
  parseSelection,
  planRuns,
  runLabel,
  type FixtureGeneration,
  type PlannedRun,
  type RunMode,
} from "./conformance-plan";
import { startConformanceFixture } from "./fixture-server";
import { startModernConformanceFixture } from "./modern-fixture-server";
import { runConformance, type ConformanceRun } from "./run-suite";

// The suite names tools, prompts and resources literally, so the fixture is mounted with an empty prefix next to the
// prefixed example servers. Behind Envoy the gateway cannot know the public host name, so it is configured.
const STACKS: Readonly<Record<Exclude<RunMode, "direct">, { mode: StackMode; security: string }>> = {
  standalone: { mode: { kind: "standalone" }, security: "{}" },
  envoy: { mode: { kind: "envoy", store: "memory" }, security: '{ allowedHosts: ["127.0.0.1", "localhost"] }' },
};

/** What one planned run produced: the suite's outcome, or why it could not run. */
export type RunResult = { run: PlannedRun; ms: number } & ({ outcome: ConformanceRun } | { error: string });

/** The report lines of one run: `Total: X passed, Y failed`, the scored count, failures, not-scored outcomes. */
export function formatRun(result: RunResult, verbose = false): string[] {
  const head = `${runLabel(result.run)} (${(result.ms / 1000).toFixed(1)} s)`;
  if ("error" in result) return [head, `  Total: 0 passed, 1 failed (the run did not complete: ${result.error})`];
  const run = result.outcome;
  const lines = [
    head,
    `  Total: ${run.passed} passed, ${run.failed} failed (${run.scenarios.length} scored scenarios, ` +
      `${run.failures.length} failing; suite exit ${run.exitCode})`,
  ];
  if (run.failures.length > 0) lines.push(`  failed: ${run.failures.join(", ")}`);
  const unscored = run.notScored.map((o) => `${o.failed > 0 ? "✗" : "✓"} ${o.scenario} (${o.reason})`);
  if (unscored.length > 0) lines.push(`  not scored (${unscored.length}): ${unscored.join(", ")}`);
  if (run.warnings.length > 0) lines.push(`  warnings: ${run.warnings.join(", ")}`);
  if (verbose) lines.push(...run.failedChecks.map((check) => `    ✗ ${check}`));
  return lines;
}

/** Whether a run passed: it completed, no scored check failed and the suite agreed. */
export function runPassed(result: RunResult): boolean {
  return !("error" in result) && result.outcome.failed === 0 && result.outcome.exitCode === 0;
}

function startFixture(fixture: FixtureGeneration): Promise<RunningServer> {
  return fixture === "2025" ? startConformanceFixture({ port: 0 }) : startModernConformanceFixture({ port: 0 });
}

async function runOne(run: PlannedRun): Promise<RunResult> {
  const started = Date.now();
  const fixture = await startFixture(run.fixture);
  let stack: GatewayStack | undefined;
  try {
    let url = fixture.url;
    if (run.mode !== "direct") {
      const { mode, security } = STACKS[run.mode];
      stack = await startGatewayStack(mode, {
        extraServers: [`name: conformance, url: "${fixture.url}", prefix: ""`],
        security,
      });
      url = stack.url;
    }
    const outcome = await runConformance(url, { requirements: run.revision });
    return { run, ms: Date.now() - started, outcome };
  } catch (error: unknown) {
    return {
      run,
      ms: Date.now() - started,
      error: error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error),
    };
  } finally {
    await stack?.stop();
    await fixture.close();
  }
}

/** `npm run conformance [-- --fixture 2025,2026 --revision 2025-11-25,2026-07-28 --mode direct,standalone,envoy]`. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const runs = planRuns(
    parseSelection(
      argv.filter((arg) => arg !== "--verbose"),
      env,
    ),
  );
  // --verbose adds every failed check with the suite's message.
  const verbose = argv.includes("--verbose");
  if (runs.length === 0) throw new Error("the selection names no run (a direct run needs the fixture's own revision)");
  console.log(`@modelcontextprotocol/conformance 0.2.0-alpha.12, server requirement sets, ${runs.length} run(s):`);
  let failed = 0;
  for (const run of runs) {
    const result = await runOne(run);
    console.log(formatRun(result, verbose).join("\n"));
    if (!runPassed(result)) failed += 1;
  }
  console.log(failed === 0 ? `All ${runs.length} run(s) passed.` : `${failed} of ${runs.length} run(s) failed.`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(2);
    },
  );
}
