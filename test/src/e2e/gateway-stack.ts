import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { startExampleServer, startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyConfig } from "@mcp-gateway/router";
import { startEnvoy, type EnvoyProcess } from "../support/envoy-process";
import { freePort } from "../support/redis-server";

type ExampleServer = RunningProcess & { url: string; port: number };

/** How the gateway runs: Envoy mode in one process (memory store), Envoy mode split over Redis, or standalone. */
export type StackMode =
  { kind: "envoy"; store: "memory" } | { kind: "envoy"; store: "redis"; redisUrl: string } | { kind: "standalone" };

/** Extra settings of a stack. */
export interface StackOptions {
  /** More upstream servers (`- { name, url, ... }` YAML entries without the dash), after weather and notes. */
  extraServers?: string[];
  /** Extra `sessions` entries, e.g. `backendIdleTimeout: 1s`. */
  sessions?: string;
  /** Extra `limits` entries, e.g. `upstreamTimeout: 1s`. */
  limits?: string;
  /** `limits.maxBodyBytes` (default MAX_BODY_BYTES). */
  maxBodyBytes?: number;
  /** A `security` mapping, e.g. `{ allowedHosts: ["127.0.0.1", "localhost"] }`. */
  security?: string;
  /** An `envoy` mapping (render-envoy's listener settings), e.g. `{ xffTrustedHops: 1 }`. */
  envoy?: string;
  /** Extra `standalone` entries, e.g. `trustedProxies: [loopback]`. */
  standalone?: string;
  /** Top-level YAML with `auth`, `consumers`, `policies`, `sanitize`, `audit`, `admin`; without it: `auth: none`. */
  access?: string;
  /** A `tracing` mapping, e.g. `{ enabled: true, endpoint: "http://127.0.0.1:4318" }`. */
  tracing?: string;
  /** Return only once every upstream is ready (default true); false: as soon as the gateway listens. */
  awaitReady?: boolean;
  /** Start on `servers: []` (weather and notes still run, for a reload to add); implies `awaitReady: false`. */
  noServers?: boolean;
}

/**
 * Stands for the public base URL (`http://127.0.0.1:<port>`) anywhere in a stack's config, e.g. in `access` for
 * `llm.mcpUrl: "{{publicUrl}}/mcp"`: Envoy's listener in Envoy mode (its port is then reserved before the config is
 * written), the standalone gateway's listener otherwise.
 */
export const PUBLIC_URL = "{{publicUrl}}";

/** A whole gateway deployment in real processes: upstreams, gateway process(es), and in Envoy mode a real Envoy. */
export interface GatewayStack {
  mode: StackMode;
  /** The public endpoint: Envoy's listener (Envoy mode) or the standalone gateway, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** The real Envoy in front, running the rendered config (Envoy mode only). */
  envoy: EnvoyProcess | undefined;
  /** The gateway config file the gateway process watches. */
  configPath: string;
  weather: ExampleServer;
  notes: ExampleServer;
  /** The broker's (or standalone gateway's) own HTTP base (for /status, /metrics). */
  brokerBase: string;
  /** Where the routing metrics are scraped. */
  routerMetricsUrl: string;
  /** Output of the gateway process(es) so far. */
  gatewayOutput(): string;
  /** Output of each gateway process so far, in start order: [gateway], or [router, broker] when split. */
  gatewayOutputs(): string[];
  /** Stops the weather server and starts a new one on the same port (its sessions are gone). */
  restartWeather(): Promise<void>;
  stop(): Promise<void>;
}

const SECRET = "e2e-session-secret-0123456789abcdef";
/** The stacks' `sessions.secret`, which keys the router's signed identity header (to forge one for the broker). */
export const E2E_SESSION_SECRET = SECRET;
export const MAX_BODY_BYTES = 65_536;

interface Ports {
  /** Envoy's listener: 0 (Envoy picks) unless the config names it ({@link PUBLIC_URL}). */
  envoy: number;
  router: number;
  broker: number;
  metrics: number;
  standalone: number;
}

function gatewayYaml(servers: string[], ports: Ports, store: string, options: StackOptions): string {
  const { limits = "", security = "{}", access = "auth: none", maxBodyBytes = MAX_BODY_BYTES, envoy = "{}" } = options;
  return `version: 1
${access}
servers:${servers.length === 0 ? " []" : servers.map((s) => `\n  - { ${s} }`).join("")}
sessions: { secret: "${SECRET}", store: "${store}", ttl: 1h, backendInitTimeout: 3s${options.sessions ? `, ${options.sessions}` : ""} }
limits: { maxBodyBytes: ${maxBodyBytes}${limits ? `, ${limits}` : ""} }
health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }
router: { listen: "127.0.0.1:${ports.router}", metricsListen: "127.0.0.1:${ports.metrics}" }
broker: { listen: "127.0.0.1:${ports.broker}" }
standalone: { listen: "127.0.0.1:${ports.standalone}"${options.standalone ? `, ${options.standalone}` : ""} }
security: ${security}
envoy: ${envoy}
${options.tracing ? `tracing: ${options.tracing}\n` : ""}`;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Resolves when the broker reports every configured upstream ready. */
export async function waitForUpstreams(brokerBase: string): Promise<void> {
  await waitUntil(async () => {
    const status = (await (await fetch(`${brokerBase}/status`)).json()) as { upstreams: { state: string }[] };
    return status.upstreams.length > 0 && status.upstreams.every((u) => u.state === "ready");
  }, "upstreams ready");
}

function startGateways(mode: StackMode, configPath: string): RunningProcess[] {
  const cli = "cli/dist/main.js";
  const run = (command: string): RunningProcess =>
    startNode(cli, [command, "--config", configPath, "--log-level", "warn"]);
  if (mode.kind === "standalone") return [run("serve")];
  return mode.store === "memory" ? [run("envoy")] : [run("router"), run("broker")];
}

/** Starts a real Envoy on the config `render-envoy` produces for `yaml`, on free loopback ports. */
async function startRenderedEnvoy(yaml: string, ports: Ports): Promise<EnvoyProcess> {
  return startEnvoy(
    // The environment too: a config may name secrets as ${env:NAME} (render-envoy reads them, never renders them).
    renderEnvoyConfig(parseConfig(yaml, process.env), {
      ...DEFAULT_RENDER_OPTIONS,
      listener: { address: "127.0.0.1", port: ports.envoy },
      admin: { address: "127.0.0.1", port: 0 },
      router: { address: "127.0.0.1", port: ports.router },
      broker: { address: "127.0.0.1", port: ports.broker },
    }),
    // The rendered access log (stdout by default) is how the tests see routing: one source of truth.
    { accessLog: "rendered" },
  );
}

/**
 * Starts the stack; everything binds to 127.0.0.1 on free ports. A failed start stops what it started. A port found
 * free can be taken before the gateway binds it (another test's outgoing connection gets it as its ephemeral port):
 * such a start is retried on fresh ports, at most three times in all.
 */
export async function startGatewayStack(mode: StackMode, options: StackOptions = {}): Promise<GatewayStack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startGatewayStackOnce(mode, options);
    } catch (error: unknown) {
      if (attempt >= 3 || !/EADDRINUSE|Address already in use/.test(String(error))) throw error;
    }
  }
}

async function startGatewayStackOnce(mode: StackMode, options: StackOptions): Promise<GatewayStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-e2e-"));
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const process of started.splice(0).reverse()) await process.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    return await startStack(mode, options, dir, started, stopAll);
  } catch (error: unknown) {
    await stopAll();
    throw error;
  }
}

async function startStack(
  mode: StackMode,
  options: StackOptions,
  dir: string,
  started: { stop(): Promise<void> }[],
  stopAll: () => Promise<void>,
): Promise<GatewayStack> {
  let weather = await startExampleServer("weather");
  // restartWeather replaces it: stop whichever runs then.
  started.push({ stop: () => weather.stop() });
  const notes = await startExampleServer("notes");
  started.push(notes);
  const named = [options.access, ...(options.extraServers ?? [])].some((text) => text?.includes(PUBLIC_URL));
  const ports: Ports = {
    envoy: mode.kind === "envoy" && named ? await freePort() : 0,
    router: await freePort(),
    broker: await freePort(),
    metrics: await freePort(),
    standalone: await freePort(),
  };
  const servers = options.noServers
    ? []
    : [`name: weather, url: "${weather.url}"`, `name: notes, url: "${notes.url}"`, ...(options.extraServers ?? [])];
  const store = mode.kind === "envoy" && mode.store === "redis" ? mode.redisUrl : "memory";
  const publicPort = mode.kind === "envoy" ? ports.envoy : ports.standalone;
  const yaml = gatewayYaml(servers, ports, store, options).replaceAll(PUBLIC_URL, `http://127.0.0.1:${publicPort}`);
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, yaml);
  const gateways = startGateways(mode, configPath);
  started.push(...gateways);
  // Each process prints one ready line per listener; the broker side is then polled until its upstreams are ready,
  // while Envoy starts (it connects to the router and broker per request, so it may come up first).
  await Promise.all(gateways.map((g) => g.waitFor(/listening on/)));
  const brokerBase = `http://127.0.0.1:${mode.kind === "standalone" ? ports.standalone : ports.broker}`;
  const [envoy] = await Promise.all([
    mode.kind === "envoy" ? startRenderedEnvoy(yaml, ports).then((e) => (started.push(e), e)) : undefined,
    options.awaitReady === false || options.noServers ? undefined : waitForUpstreams(brokerBase),
  ]);
  const split = mode.kind === "envoy" && mode.store === "redis";
  const stack: GatewayStack = {
    mode,
    url: envoy ? `${envoy.url}/mcp` : `${brokerBase}/mcp`,
    envoy,
    configPath,
    weather,
    notes,
    brokerBase,
    gatewayOutput: () => gateways.map((g) => g.output()).join(""),
    gatewayOutputs: () => gateways.map((g) => g.output()),
    routerMetricsUrl: split ? `http://127.0.0.1:${ports.metrics}/metrics` : `${brokerBase}/metrics`,
    async restartWeather() {
      const port = weather.port;
      await weather.stop();
      weather = await startExampleServer("weather", port);
      stack.weather = weather;
    },
    stop: stopAll,
  };
  return stack;
}

/** Reads one counter value from Prometheus text, summing series that carry all given labels. */
export function metricValue(text: string, name: string, labels: Record<string, string>): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}
