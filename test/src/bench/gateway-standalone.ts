import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNode, type RunningProcess } from "@mcp-gateway/example-kit";
import { freePort } from "../support/redis-server";
import type { Cleanup } from "./gateway-cleanup";

/** One upstream of the benchmark gateway (`prefix` defaults to `<name>_`). */
export interface UpstreamEntry {
  name: string;
  url: string;
  prefix?: string;
}

/** A standalone gateway (`mcp-gateway serve`) running as its own process. */
export interface StandaloneGateway {
  /** The MCP endpoint, `http://127.0.0.1:<port>/mcp`. */
  url: string;
  /** `GET` this for the upstreams' states. */
  statusUrl: string;
  process: RunningProcess;
  /** `process.hrtime.bigint()` just before the process was spawned: the zero of the cold-discovery clock. */
  spawnedAt: bigint;
}

/** The gateway's health-check interval: short, so a benchmark never waits long for its first health round. */
export const HEALTH_INTERVAL_MS = 1000;

// Fixed (not random) so the config is the same every run; only loopback clients ever see a session id.
const SESSION_SECRET = "gateway-bench-session-secret-0123456789";

/**
 * The gateway config: every upstream, a short health interval, and free loopback ports for every listener; `extra`
 * (top-level YAML, e.g. a `tracing` section) appended, `sessions` (e.g. `store: "redis://..."`) added to `sessions`.
 */
export async function gatewayYaml(
  servers: readonly UpstreamEntry[],
  standalonePort: number,
  extra = "",
  sessions = "",
): Promise<string> {
  const entry = (s: UpstreamEntry): string =>
    `  - { name: ${s.name}, url: "${s.url}"${s.prefix === undefined ? "" : `, prefix: "${s.prefix}"`} }`;
  // `serve` never opens the router or broker listeners, but they get free ports so nothing can clash with a default.
  return `version: 1
auth: none
servers:
${servers.map(entry).join("\n")}
standalone: { listen: "127.0.0.1:${standalonePort}" }
sessions: { secret: "${SESSION_SECRET}"${sessions ? `, ${sessions}` : ""} }
health: { interval: ${HEALTH_INTERVAL_MS}ms }
router: { listen: "127.0.0.1:${await freePort()}", metricsListen: "127.0.0.1:${await freePort()}" }
broker: { listen: "127.0.0.1:${await freePort()}" }
${extra}`;
}

/**
 * Writes the config (with `extraYaml` and `sessions` entries, see {@link gatewayYaml}) to a temp dir and starts `cli/dist/main.js serve` on it; resolves once it prints its listening
 * line. The process and the temp dir are stopped and removed by `cleanup`.
 */
export async function startStandaloneGateway(
  servers: readonly UpstreamEntry[],
  cleanup: Cleanup,
  extraYaml = "",
  sessions = "",
): Promise<StandaloneGateway> {
  const dir = await mkdtemp(join(tmpdir(), "gateway-bench-"));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const configPath = join(dir, "gateway.yaml");
  await writeFile(configPath, await gatewayYaml(servers, await freePort(), extraYaml, sessions));
  const spawnedAt = process.hrtime.bigint();
  const gateway = startNode("cli/dist/main.js", ["serve", "--config", configPath, "--log-level", "warn"]);
  cleanup.add(() => gateway.stop());
  const match = await gateway.waitFor(/gateway listening on (http:\/\/(\S+)\/mcp)/, 30_000);
  return {
    url: match[1] ?? "",
    statusUrl: `http://${match[2] ?? ""}/status`,
    process: gateway,
    spawnedAt,
  };
}

interface StatusBody {
  upstreams: { name: string; state: string; toolCount: number }[];
}

/** True when `/status` lists `expected` upstreams, all in state `ready`. */
async function allReady(statusUrl: string, expected: number): Promise<boolean> {
  const response = await fetch(statusUrl);
  if (!response.ok) return false;
  const { upstreams } = (await response.json()) as StatusBody;
  return upstreams.length === expected && upstreams.every((u) => u.state === "ready");
}

/** Polls `/status` every `pollMs` until all `expected` upstreams are ready; throws after `timeoutMs`. */
export async function waitForReadyUpstreams(
  gateway: StandaloneGateway,
  expected: number,
  pollMs = 10,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await allReady(gateway.statusUrl, expected).catch(() => false))) {
    if (Date.now() > deadline) {
      throw new Error(`gateway upstreams not all ready within ${timeoutMs} ms:\n${gateway.process.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Milliseconds since the gateway process was spawned. */
export function sinceSpawn(gateway: StandaloneGateway): number {
  return Number(process.hrtime.bigint() - gateway.spawnedAt) / 1e6;
}

/**
 * Waits out the gateway's first health round. One interval after an upstream turns ready the gateway pings it and
 * lists it once more (a list_changed may have been lost before the notification stream opened): with 50 upstreams
 * that is a burst of 150 list requests, which stalls calls for about half a second. Steady-state numbers start after
 * it; 2.5 intervals after the last upstream turned ready leaves the burst time to end.
 */
export function afterFirstHealthRound(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 2.5 * HEALTH_INTERVAL_MS));
}

/**
 * The standalone gateway's Node baseline: a no-op HTTP proxy (`noop-hop-main.ts proxy`) in a process of its own, in
 * front of the upstream at `upstreamOrigin`. Resolves to its MCP endpoint and process.
 */
export async function startNoopProxy(
  upstreamOrigin: string,
  cleanup: Cleanup,
): Promise<{ url: string; process: RunningProcess }> {
  const proxy = startNode("test/dist/bench/noop-hop-main.js", ["proxy", upstreamOrigin]);
  cleanup.add(() => proxy.stop());
  const match = await proxy.waitFor(/no-op hop listening on (127\.0\.0\.1:\d+)/, 30_000);
  return { url: `http://${match[1] ?? ""}/mcp`, process: proxy };
}
