import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** The outcome of one run of the official MCP conformance suite against a server. */
export interface ConformanceRun {
  /** Checks that passed (the suite's `Total: X passed` counts checks, several per scenario for some). */
  passed: number;
  /** Checks that failed. */
  failed: number;
  /** Scenarios that ran, in order. */
  scenarios: string[];
  /** Scenarios with at least one failed check. */
  failures: string[];
  /** `<scenario>: <check id>` of every WARNING check: the suite passes them, but they flag degraded behaviour. */
  warnings: string[];
  /** Everything the suite printed (stdout and stderr interleaved). */
  output: string;
}

/** Which scenarios to run and how long to wait. */
export interface ConformanceOptions {
  /** One scenario (e.g. `tools-call-sampling`); default: the whole suite. */
  scenario?: string;
  /** The suite when no scenario is given: `active` (default), `all` or `pending`. */
  suite?: "active" | "all" | "pending";
  /** Kill the suite after this long; the active suite takes ~3 s against a local server. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const LOOPBACK_HOSTNAMES: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** The suite's CLI (`conformance`), resolved from node_modules. */
export function conformanceBin(): string {
  return join(dirname(require.resolve("@modelcontextprotocol/conformance/package.json")), "dist", "index.js");
}

/** Runs `conformance server --url <url>` (loopback URLs only) and returns its parsed totals. */
export async function runConformance(url: string, options: ConformanceOptions = {}): Promise<ConformanceRun> {
  // Loopback only: the run must not depend on the network, and dns-rebinding-protection fails any other host anyway.
  if (!LOOPBACK_HOSTNAMES.has(new URL(url).hostname)) throw new Error(`not a loopback URL: ${url}`);
  const resultsDir = await mkdtemp(join(tmpdir(), "mcp-conformance-"));
  try {
    const selection = options.scenario ? ["--scenario", options.scenario] : ["--suite", options.suite ?? "active"];
    const args = [conformanceBin(), "server", "--url", url, ...selection, "--output-dir", resultsDir];
    const output = await runNode(args, resultsDir, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    return { ...parseConformanceOutput(output, options.scenario), warnings: await readWarnings(resultsDir), output };
  } finally {
    await rm(resultsDir, { recursive: true, force: true });
  }
}

/** Parses the suite's summary: `✓|✗ <scenario>: X passed, Y failed` lines and `Total: X passed, Y failed`. */
export function parseConformanceOutput(
  output: string,
  scenario?: string,
): Pick<ConformanceRun, "passed" | "failed" | "scenarios" | "failures"> {
  if (scenario !== undefined) return parseSingleScenario(output, scenario);
  const total = /^Total: (\d+) passed, (\d+) failed/mu.exec(output);
  if (!total) throw new Error(`the conformance suite printed no "Total:" line:\n${output}`);
  const lines = [...output.matchAll(/^([✓✗]) (\S+): \d+ passed, \d+ failed/gmu)];
  return {
    passed: Number(total[1]),
    failed: Number(total[2]),
    scenarios: lines.map((line) => line[2] ?? ""),
    failures: lines.filter((line) => line[1] === "✗").map((line) => line[2] ?? ""),
  };
}

// `--scenario` prints `Passed: X/N, Y failed, W warnings` instead of a summary.
function parseSingleScenario(output: string, scenario: string): ReturnType<typeof parseConformanceOutput> {
  const result = /^Passed: (\d+)\/\d+, (\d+) failed/mu.exec(output);
  if (!result) throw new Error(`the conformance suite printed no "Passed:" line:\n${output}`);
  const failed = Number(result[2]);
  return { passed: Number(result[1]), failed, scenarios: [scenario], failures: failed > 0 ? [scenario] : [] };
}

// With --output-dir the suite writes <dir>/server-<scenario>-<timestamp>/checks.json; only there do WARNINGs show.
async function readWarnings(resultsDir: string): Promise<string[]> {
  const warnings: string[] = [];
  for (const entry of (await readdir(resultsDir)).sort()) {
    const scenario = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/u.exec(entry)?.[1] ?? entry;
    const checks = JSON.parse(await readFile(join(resultsDir, entry, "checks.json"), "utf8")) as unknown;
    if (!Array.isArray(checks)) continue;
    for (const check of checks as { id?: unknown; status?: unknown }[]) {
      if (check.status === "WARNING") warnings.push(`${scenario}: ${String(check.id)}`);
    }
  }
  return warnings;
}

// Resolves with the combined output whatever the exit code (failures are read from the output); rejects on timeout.
function runNode(args: readonly string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
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
    child.once("close", () => {
      clearTimeout(timer);
      resolve(output);
    });
  });
}
