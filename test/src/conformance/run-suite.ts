import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { pinnedNode } from "../support/node-binary";

/** The specification revisions the suite (0.2.0-alpha.12) holds requirement sets for. */
export const REVISIONS = ["2025-11-25", "2026-07-28"] as const;

/** A specification revision with a requirement set. */
export type Revision = (typeof REVISIONS)[number];

/** One scenario's outcome: its checks that passed and failed. */
export interface ScenarioOutcome {
  scenario: string;
  passed: number;
  failed: number;
}

/** A scenario the requirement set runs without scoring, and why (`extension`, `pending`, `added-after-release`). */
export interface NotScoredOutcome extends ScenarioOutcome {
  reason: string;
}

/** The outcome of one run of the official MCP conformance suite against a server. */
export interface ConformanceRun {
  /** Checks that passed in scored scenarios. */
  passed: number;
  /** Checks that failed in scored scenarios. */
  failed: number;
  /** Scored scenarios that ran, in order. */
  scenarios: string[];
  /** Scored scenarios with at least one failed check. */
  failures: string[];
  /** Scenarios run for visibility only (never affect the verdict). */
  notScored: NotScoredOutcome[];
  /** `<scenario>: <check id>` of every WARNING check: the suite passes them, but they flag degraded behaviour. */
  warnings: string[];
  /** `<scenario>: <check id>: <message>` of every failed check, scored or not. */
  failedChecks: string[];
  /** The suite's exit status (under a requirement set: non-zero when a scored scenario failed). */
  exitCode: number;
  /** Everything the suite printed (stdout and stderr interleaved). */
  output: string;
}

/** Which scenarios to run and how long to wait. */
export interface ConformanceOptions {
  /** Run exactly what this revision requires (scored and not-scored scenarios), at its wire version. */
  requirements: Revision;
  /** Kill the suite after this long; a requirement set takes ~2-4 s against a local server. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 180_000;
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);
const PACKAGE = "@modelcontextprotocol/conformance/package.json";

/** The suite's CLI (`conformance`), resolved from node_modules. */
export function conformanceBin(): string {
  return join(dirname(require.resolve(PACKAGE)), "dist", "index.js");
}

/** The Node >= 22 the suite needs (the pinned Node 22 in .tools, see `npm run node:install`), for its process only. */
export function conformanceNode(): string {
  return pinnedNode("22");
}

/** The not-scored scenarios of a revision's server leg, with their reason, from the suite's own requirement file. */
export async function notScoredScenarios(revision: Revision): Promise<ReadonlyMap<string, string>> {
  const file = join(dirname(require.resolve(PACKAGE)), "requirements", `${revision}.yaml`);
  const set = parse(await readFile(file, "utf8")) as {
    not_scored?: { scenario: string; leg: string; reason: string }[];
  };
  const entries = (set.not_scored ?? []).filter((entry) => entry.leg === "server");
  return new Map(entries.map((entry) => [entry.scenario, entry.reason]));
}

/** Runs `conformance server --url <url>` (loopback URLs only) and returns its scored and not-scored outcomes. */
export async function runConformance(url: string, options: ConformanceOptions): Promise<ConformanceRun> {
  // Loopback only: the run must not depend on the network, and dns-rebinding-protection fails any other host anyway.
  if (!LOOPBACK_HOSTNAMES.has(new URL(url).hostname)) throw new Error(`not a loopback URL: ${url}`);
  const resultsDir = await mkdtemp(join(tmpdir(), "mcp-conformance-"));
  try {
    const selection = ["--requirements", options.requirements];
    const args = [conformanceBin(), "server", "--url", url, ...selection, "--output-dir", resultsDir];
    const { output, exitCode } = await runSuite(args, resultsDir, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return {
      ...scoreOutcomes(parseScenarioOutcomes(output), await notScoredScenarios(options.requirements)),
      ...(await readChecks(resultsDir)),
      exitCode,
      output,
    };
  } finally {
    await rm(resultsDir, { recursive: true, force: true });
  }
}

/** The suite's per-scenario summary lines (`✓|✗ <scenario>: X passed, Y failed`); throws when it printed no total. */
export function parseScenarioOutcomes(output: string): ScenarioOutcome[] {
  if (!/^Total: \d+ passed, \d+ failed/mu.test(output)) {
    throw new Error(`the conformance suite printed no "Total:" line:\n${output}`);
  }
  return [...output.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed/gmu)].map((line) => ({
    scenario: line[1] ?? "",
    passed: Number(line[2]),
    failed: Number(line[3]),
  }));
}

/** Splits outcomes into scored totals and the not-scored list (`unscored`: scenario → reason). */
export function scoreOutcomes(
  outcomes: readonly ScenarioOutcome[],
  unscored: ReadonlyMap<string, string>,
): Pick<ConformanceRun, "passed" | "failed" | "scenarios" | "failures" | "notScored"> {
  const scored = outcomes.filter((outcome) => !unscored.has(outcome.scenario));
  return {
    passed: scored.reduce((sum, outcome) => sum + outcome.passed, 0),
    failed: scored.reduce((sum, outcome) => sum + outcome.failed, 0),
    scenarios: scored.map((outcome) => outcome.scenario),
    failures: scored.filter((outcome) => outcome.failed > 0).map((outcome) => outcome.scenario),
    notScored: outcomes
      .filter((outcome) => unscored.has(outcome.scenario))
      .map((outcome) => ({ ...outcome, reason: unscored.get(outcome.scenario) ?? "not scored" })),
  };
}

// With --output-dir the suite writes <dir>/server-<scenario>-<timestamp>/checks.json; only there do WARNINGs and the
// failing checks' messages show.
async function readChecks(resultsDir: string): Promise<Pick<ConformanceRun, "warnings" | "failedChecks">> {
  const warnings: string[] = [];
  const failedChecks: string[] = [];
  for (const entry of (await readdir(resultsDir)).sort()) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/u.exec(entry)?.[1] ?? entry;
    // A scenario that threw has a directory but no checks.json; the summary reports it as failed.
    const text = await readFile(join(resultsDir, entry, "checks.json"), "utf8").catch(() => "[]");
    const checks = JSON.parse(text) as unknown;
    if (!Array.isArray(checks)) continue;
    for (const check of checks as { id?: unknown; status?: unknown; errorMessage?: unknown }[]) {
      if (check.status === "WARNING") warnings.push(`${scenario}: ${String(check.id)}`);
      if (check.status === "FAILURE") {
        failedChecks.push(`${scenario}: ${String(check.id)}: ${String(check.errorMessage ?? "").slice(0, 300)}`);
      }
    }
  }
  return { warnings, failedChecks };
}

// Resolves with the combined output and exit status; rejects on timeout.
function runSuite(
  args: readonly string[],
  cwd: string,
  timeoutMs: number,
): Promise<{ output: string; exitCode: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(conformanceNode(), args, {
      cwd,
      // Loopback never goes through a proxy, whatever the environment says.
      env: { ...process.env, NO_PROXY: "localhost,127.0.0.1,::1", no_proxy: "localhost,127.0.0.1,::1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    const append = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on("data", append);
    child.stderr.on("data", append);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the conformance suite did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ output, exitCode: code ?? 1 });
    });
  });
}
