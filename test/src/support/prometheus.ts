import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pollUntil } from "./bounded-wait";
import { freePort } from "./redis-server";

const INSTALL_HINT = "apt-get install prometheus (Debian; .ci/run installs it when missing)";

/** Runs Debian's `promtool` with `args`; throws (never skips) when it is not installed. */
export function promtool(args: string[]): { status: number | null; output: string } {
  const result = spawnSync("promtool", args, { encoding: "utf8", timeout: 30_000 });
  if (result.error) throw new Error(`promtool is missing (${INSTALL_HINT}): ${result.error.message}`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** One sample of an instant query: its labels and value. */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** One rule as `/api/v1/rules` reports it. */
export interface PromRule {
  name: string;
  type: "alerting" | "recording";
  health: string;
  lastError?: string;
  state?: string;
  alerts?: { labels: Record<string, string>; state: string }[];
}

/** A Prometheus server from Debian on a free loopback port, with its own storage directory. */
export interface PrometheusServer {
  url: string;
  /** Instant query `expr`; throws on an API error (a PromQL parse error included). */
  query(expr: string): Promise<PromSample[]>;
  /** The rules of every loaded group. */
  rules(): Promise<PromRule[]>;
  stop(): Promise<void>;
}

async function api<T>(url: string): Promise<T> {
  const response = await fetch(url);
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== "success") throw new Error(`Prometheus ${url}: ${body.error ?? response.status}`);
  return body.data;
}

/**
 * Starts `prometheus` scraping `targets` (host:port) every second and evaluating `ruleFiles` every second; waits
 * until it is ready. Fails loudly when the binary is missing: the Prometheus tests are never skipped.
 */
export async function startPrometheus(targets: string[], ruleFiles: string[] = []): Promise<PrometheusServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "prometheus-"));
  const config = {
    global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: "mcp-gateway", static_configs: [{ targets }] }],
  };
  writeFileSync(join(dir, "prometheus.yml"), JSON.stringify(config)); // JSON is YAML
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const spawnError = new Promise<boolean>((resolve) => child.once("error", () => resolve(false)));
  const url = `http://127.0.0.1:${port}`;
  const stop = (): Promise<void> =>
    new Promise<void>((done) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return done();
      child.once("exit", () => done());
      child.kill("SIGTERM");
    }).finally(() => rmSync(dir, { recursive: true, force: true }));
  const ready = await Promise.race([
    spawnError,
    pollUntil(
      async () =>
        child.exitCode !== null ||
        (await fetch(`${url}/-/ready`).then(
          (r) => r.ok,
          () => false,
        )),
      20_000,
      100,
    ),
  ]);
  if (!ready || child.exitCode !== null) {
    await stop();
    if (child.pid === undefined) throw new Error(`cannot start prometheus (${INSTALL_HINT})`);
    throw new Error(`Prometheus did not start (exit ${String(child.exitCode)}): ${stderr}`);
  }
  return {
    url,
    async query(expr) {
      const data = await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(
        `${url}/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async rules() {
      const data = await api<{ groups: { rules: PromRule[] }[] }>(`${url}/api/v1/rules`);
      return data.groups.flatMap((g) => g.rules);
    },
    stop,
  };
}
