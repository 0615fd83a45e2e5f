import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { envoyBinary, type EnvoyBinary } from "./envoy-binary";

/** One request Envoy served, from its access log (written when the request ends). */
export interface EnvoyRoute {
  method: string;
  /** The path as forwarded upstream (after the router's mutations). */
  path: string;
  /** The cluster Envoy routed to; `-` for a local reply (ext_proc immediate response, no route, …). */
  cluster: string;
  status: number;
  /** Envoy's `%RESPONSE_CODE_DETAILS%`, e.g. `via_upstream`, `ext_proc_error_gRPC_error_13`. */
  details: string;
  /** When Envoy received the request's first byte, epoch milliseconds. */
  startMs: number;
  /** The whole JSON line: the rendered access log's fields (`mcp_consumer`, `duration_ms`, …) or the test log's. */
  line: Readonly<Record<string, unknown>>;
  /** The client address Envoy trusted (`%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%`: the peer, or from x-forwarded-for). */
  client: string;
}

/** A real `envoy` process on loopback, started from a bootstrap config. */
export interface EnvoyProcess {
  /** `http://127.0.0.1:<port>` of the first listener. */
  url: string;
  port: number;
  /** `http://127.0.0.1:<port>` of the admin interface. */
  adminUrl: string;
  pid: number;
  binary: EnvoyBinary;
  /** Requests served so far, oldest first (filled from the access log as Envoy flushes it, within ~50 ms). */
  routes: EnvoyRoute[];
  /**
   * Resolves with the first logged request that started at or after `sinceMs` (epoch ms) and matches, waiting up to
   * `timeoutMs` for Envoy to log it (a request is logged when it ends).
   */
  routeSince(sinceMs: number, match?: (route: EnvoyRoute) => boolean, timeoutMs?: number): Promise<EnvoyRoute>;
  /** Envoy's own log (stderr) so far. */
  output(): string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once Envoy has exited. */
  stop(): Promise<void>;
}

/** Options of `startEnvoy`. */
export interface EnvoyStartOptions {
  /** Envoy's log level (default `warn`): Envoy's own log lines show in `output()`. */
  logLevel?: string;
  /** How long to wait for `/ready` (default 20 s). */
  readyTimeoutMs?: number;
  /**
   * `test` (default): add a stdout access log of the test's own format. `rendered`: the config already writes the
   * rendered access log (`envoy.accessLog: stdout`); `routes` is read from it, so tests see what an operator sees.
   */
  accessLog?: "test" | "rendered";
}

type Json = Record<string, unknown>;
const ACCESS_LOG_MARK = "mcp-test-access-log";
const ACCESS_LOG_FORMAT = {
  mark: ACCESS_LOG_MARK,
  method: "%REQ(:METHOD)%",
  path: "%REQ(:PATH)%",
  cluster: "%UPSTREAM_CLUSTER%",
  status: "%RESPONSE_CODE%",
  details: "%RESPONSE_CODE_DETAILS%",
  start: "%START_TIME(%s%3f)%",
  client: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
};

/** Envoys still running in this test process: killed on exit so a crashed suite leaves none behind. */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** A copy of `config` whose HTTP connection managers also write one JSON access-log line per request to stdout. */
function withTestAccessLog(config: object): object {
  const copy = JSON.parse(JSON.stringify(config)) as Json;
  const resources = copy["static_resources"] as { listeners?: Json[] } | undefined;
  for (const listener of resources?.listeners ?? []) {
    for (const chain of (listener["filter_chains"] as Json[] | undefined) ?? []) {
      for (const filter of (chain["filters"] as Json[] | undefined) ?? []) {
        const hcm = filter["typed_config"] as Json;
        if (!String(hcm["@type"]).endsWith(".HttpConnectionManager")) continue;
        const logs = (hcm["access_log"] as Json[] | undefined) ?? [];
        hcm["access_log"] = [
          ...logs,
          {
            name: "envoy.access_loggers.stdout",
            typed_config: {
              "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
              log_format: { json_format: ACCESS_LOG_FORMAT },
            },
          },
        ];
      }
    }
  }
  return copy;
}

const text = (value: unknown): string => (typeof value === "string" ? value : "-");

/** A line of the test access log, or of the rendered one (router/src/envoy-config/access-log.ts); else undefined. */
function parseRoute(line: string): EnvoyRoute | undefined {
  if (!line.startsWith("{")) return undefined;
  const raw = JSON.parse(line) as Record<string, unknown>;
  if (raw["mark"] === ACCESS_LOG_MARK) {
    const { method, path, cluster, details, client } = raw;
    return {
      ...{ method: text(method), path: text(path), cluster: text(cluster), details: text(details) },
      ...{ status: Number(raw["status"]), startMs: Number(raw["start"]), client: text(client), line: raw },
    };
  }
  if (!("response_code" in raw && "start_time" in raw)) return undefined;
  return {
    ...{ method: text(raw["method"]), path: text(raw["path"]), cluster: text(raw["upstream_cluster"]) },
    ...{ details: text(raw["response_code_details"]), status: Number(raw["response_code"]) },
    ...{ startMs: Date.parse(text(raw["start_time"])), client: text(raw["client_address"]), line: raw },
  };
}

async function poll<T>(what: string, timeoutMs: number, attempt: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The first listener's port, from the admin interface (the config may ask for port 0). */
async function listenerPort(adminUrl: string): Promise<number> {
  const body = (await (await fetch(`${adminUrl}/listeners?format=json`)).json()) as {
    listener_statuses: { local_address: { socket_address: { port_value: number } } }[];
  };
  const port = body.listener_statuses[0]?.local_address.socket_address.port_value;
  if (!port) throw new Error(`Envoy reports no listener: ${JSON.stringify(body)}`);
  return port;
}

function launch(binary: EnvoyBinary, configPath: string, adminPath: string, logLevel: string): ChildProcess {
  const args = [
    ...["-c", configPath, "--admin-address-path", adminPath, "--log-level", logLevel],
    // One worker thread is plenty for a test; no hot restart, so parallel Envoys share no shared-memory region.
    ...["--concurrency", "1", "--disable-hot-restart"],
    // The access log is how tests see routing: flush it within 50 ms (Envoy's default is 10 s).
    ...["--file-flush-interval-msec", "50", "--drain-time-s", "0"],
  ];
  return spawn(binary.path, args, { stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * Starts the real Envoy on `config` (a bootstrap object; listeners and admin may use port 0), with a test access log
 * added, and resolves once its admin `/ready` says LIVE. Logs `real envoy <version> pid <pid>` so a test run shows
 * that a real Envoy served it.
 */
export async function startEnvoy(config: object, options: EnvoyStartOptions = {}): Promise<EnvoyProcess> {
  const binary = envoyBinary();
  const dir = await mkdtemp(join(tmpdir(), "mcp-envoy-"));
  const configPath = join(dir, "envoy.yaml");
  const adminPath = join(dir, "admin-address");
  const withLog = options.accessLog === "rendered" ? config : withTestAccessLog(config);
  await writeFile(configPath, stringify(withLog, { lineWidth: 0 }));
  const child = launch(binary, configPath, adminPath, options.logLevel ?? process.env["ENVOY_LOG_LEVEL"] ?? "warn");
  running.add(child);
  let stderr = "";
  let stdout = "";
  const routes: EnvoyRoute[] = [];
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = stdout.split("\n");
    stdout = lines.pop() ?? "";
    for (const route of lines.map(parseRoute)) if (route) routes.push(route);
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
      child.kill("SIGTERM");
      await exited;
      clearTimeout(kill);
    }
    running.delete(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const adminUrl = await poll("Envoy's admin address", options.readyTimeoutMs ?? 20_000, async () => {
      if (child.exitCode !== null) throw new Error("exited");
      const address = (await readFile(adminPath, "utf8")).trim();
      return address ? `http://${address}` : undefined;
    });
    await poll("Envoy's /ready", options.readyTimeoutMs ?? 20_000, async () => {
      const response = await fetch(`${adminUrl}/ready`);
      return response.status === 200 ? true : undefined;
    });
    const port = await listenerPort(adminUrl);
    const pid = child.pid ?? 0;
    process.stderr.write(`real envoy ${binary.version} pid ${pid} (${binary.path}) on 127.0.0.1:${port}\n`);
    return {
      url: `http://127.0.0.1:${port}`,
      port,
      adminUrl,
      pid,
      binary,
      routes,
      routeSince: (sinceMs, match = () => true, timeoutMs = 5_000) =>
        poll("an Envoy access-log line", timeoutMs, () =>
          Promise.resolve(routes.find((route) => route.startMs >= sinceMs && match(route))),
        ),
      output: () => stderr,
      stop,
    };
  } catch (error: unknown) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`envoy ${binary.version} (${binary.path}) did not become ready: ${reason}\n${stderr}`);
  }
}

/** Runs `envoy --mode validate` on a config file; resolves with Envoy's verdict and output. */
export function validateEnvoyConfig(configPath: string): { ok: boolean; output: string } {
  const { path } = envoyBinary();
  const result = spawnSync(path, ["--mode", "validate", "-c", configPath, "--disable-hot-restart", "-l", "warn"], {
    encoding: "utf8",
    timeout: 60_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  return { ok: result.status === 0 && output.includes("OK"), output };
}
