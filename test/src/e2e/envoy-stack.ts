import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "@mcp-gateway/core";
import { DEFAULT_RENDER_OPTIONS, renderEnvoyYaml } from "@mcp-gateway/router";
import { startEnvoyHarness, type EnvoyHarness } from "../harness";
import { startExampleServer, startNode, type RunningProcess } from "../support/child-process";
import { freePort } from "../support/redis-server";

type ExampleServer = RunningProcess & { url: string; port: number };

/** A whole Envoy-mode deployment in real processes: upstreams, gateway process(es) and the Envoy harness in front. */
export interface EnvoyStack {
  /** The public endpoint, through the harness: http://127.0.0.1:<port>/mcp */
  url: string;
  harness: EnvoyHarness;
  weather: ExampleServer;
  notes: ExampleServer;
  /** The gateway config file the gateway process watches. */
  configPath: string;
  /** The broker's own HTTP base (for /status, /metrics). */
  brokerBase: string;
  /** Where the router's metrics are scraped (the broker's /metrics when both run in one process). */
  routerMetricsUrl: string;
  /** Output of the gateway process(es) so far. */
  gatewayOutput(): string;
  /** Stops the weather server and starts a new one on the same port (its sessions are gone). */
  restartWeather(): Promise<void>;
  stop(): Promise<void>;
}

/** How the gateway runs: one process with the memory store, or router and broker apart sharing Redis. */
export type StackMode = { store: "memory" } | { store: "redis"; redisUrl: string };

const SECRET = "e2e-session-secret-0123456789abcdef";
export const MAX_BODY_BYTES = 65_536;

function gatewayYaml(
  weather: string,
  notes: string,
  ports: { router: number; broker: number; metrics: number },
  store: string,
): string {
  return `version: 1
servers:
  - { name: weather, url: "${weather}" }
  - { name: notes, url: "${notes}" }
sessions: { secret: "${SECRET}", store: "${store}", ttl: 1h, backendInitTimeout: 3s }
limits: { maxBodyBytes: ${MAX_BODY_BYTES} }
health: { interval: 300ms, maxBackoff: 1s, timeout: 2s }
router: { listen: "127.0.0.1:${ports.router}", metricsListen: "127.0.0.1:${ports.metrics}" }
broker: { listen: "127.0.0.1:${ports.broker}" }
`;
}

async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Resolves when the broker reports every upstream ready. */
export async function waitForUpstreams(brokerBase: string): Promise<void> {
  await waitUntil(async () => {
    const status = (await (await fetch(`${brokerBase}/status`)).json()) as { upstreams: { state: string }[] };
    return status.upstreams.length === 2 && status.upstreams.every((u) => u.state === "ready");
  }, "upstreams ready");
}

/** Starts the stack; everything binds to 127.0.0.1 on free ports. */
export async function startEnvoyStack(mode: StackMode): Promise<EnvoyStack> {
  const dir = await mkdtemp(join(tmpdir(), "mcp-e2e-"));
  let weather = await startExampleServer("weather");
  const notes = await startExampleServer("notes");
  const ports = { router: await freePort(), broker: await freePort(), metrics: await freePort() };
  const store = mode.store === "memory" ? "memory" : mode.redisUrl;
  const yaml = gatewayYaml(weather.url, notes.url, ports, store);
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, yaml);
  const cli = "cli/dist/main.js";
  const gateways: RunningProcess[] =
    mode.store === "memory"
      ? [startNode(cli, ["envoy", "--config", configPath, "--log-level", "warn"])]
      : [
          startNode(cli, ["router", "--config", configPath, "--log-level", "warn"]),
          startNode(cli, ["broker", "--config", configPath, "--log-level", "warn"]),
        ];
  await Promise.all(gateways.map((g) => g.waitFor(/listening on/)));
  for (const gateway of gateways) {
    if (gateway.output().includes("router")) await gateway.waitFor(/router \(ext_proc gRPC\) listening/);
    if (mode.store === "memory" || gateway === gateways[1]) await gateway.waitFor(/broker listening/);
  }
  const brokerBase = `http://127.0.0.1:${ports.broker}`;
  await waitForUpstreams(brokerBase);
  const envoyPath = join(dir, "envoy.yaml");
  const config = parseConfig(yaml, {});
  await writeFile(
    envoyPath,
    renderEnvoyYaml(config, configPath, {
      ...DEFAULT_RENDER_OPTIONS,
      listener: { address: "127.0.0.1", port: 0 },
      router: { address: "127.0.0.1", port: ports.router },
      broker: { address: "127.0.0.1", port: ports.broker },
    }),
  );
  const harness = await startEnvoyHarness({ envoyConfigPath: envoyPath });
  const stack: EnvoyStack = {
    url: `${harness.url}/mcp`,
    harness,
    configPath,
    weather,
    notes,
    brokerBase,
    gatewayOutput: () => gateways.map((g) => g.output()).join(""),
    routerMetricsUrl: mode.store === "memory" ? `${brokerBase}/metrics` : `http://127.0.0.1:${ports.metrics}/metrics`,
    async restartWeather() {
      const port = weather.port;
      await weather.stop();
      weather = await startExampleServer("weather", port);
      stack.weather = weather;
    },
    async stop() {
      await harness.close();
      await Promise.all(gateways.map((g) => g.stop()));
      await Promise.all([stack.weather.stop(), notes.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
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
