import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startCountingUpstream, settleSessions, type CountingUpstream } from "./counting-upstream";
import { Cleanup } from "./gateway-cleanup";
import { percentile } from "./gateway-measure";
import { startStandaloneGateway, waitForReadyUpstreams, type StandaloneGateway } from "./gateway-standalone";
import { mb, rssBytes } from "./proc-stats";

/**
 * How the N-clients part runs: client counts, seconds of calls, and the calls per second all clients together offer
 * (each client pauses `count / rate` s between its calls, first after a random part of that: the offered load is the
 * same for every N, so a large N measures holding many clients, not a machine run past its capacity).
 */
export interface ClientsOptions {
  counts: readonly number[];
  seconds: number;
  rate: number;
}

/** Clients connected at once while the others wait: bounds the burst of initializes (and sockets) at start. */
const CONNECT_CONCURRENCY = 50;
const CALL = { name: "weather_get_forecast", arguments: { city: "Amsterdam", days: 1 } };

interface Tally {
  latencies: number[];
  failures: number;
  firstError: string | undefined;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Runs `task` for every index below `count`, at most `limit` at once. */
async function bounded(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** Connects `count` SDK clients (each opens its GET stream after `initialized`, the SDK's default). */
async function connectAll(url: string, count: number, tally: Tally): Promise<Client[]> {
  const clients: Client[] = [];
  await bounded(count, CONNECT_CONCURRENCY, async (i) => {
    const client = new Client({ name: `scale-bench-${i + 1}`, version: "1.0.0" });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(url)));
      clients.push(client);
    } catch (error: unknown) {
      tally.failures += 1;
      tally.firstError ??= `connect: ${message(error)}`;
    }
  });
  return clients;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One client's calls until `deadline`, one in flight, `pauseMs` apart, the first after a random part of that. */
async function callUntil(client: Client, deadline: number, pauseMs: number, tally: Tally): Promise<void> {
  await sleep(Math.random() * pauseMs);
  while (Date.now() < deadline) {
    const started = process.hrtime.bigint();
    try {
      const result = await client.callTool(CALL);
      if (result.isError) throw new Error(`isError: ${JSON.stringify(result.content)}`);
      tally.latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    } catch (error: unknown) {
      tally.failures += 1;
      tally.firstError ??= message(error);
    }
    if (pauseMs > 0) await sleep(pauseMs);
  }
}

/** Ends every client's session (`DELETE`, as a client that is done should) and closes it; failures are counted. */
async function closeAll(clients: readonly Client[], tally: Tally): Promise<void> {
  await bounded(clients.length, CONNECT_CONCURRENCY, async (i) => {
    const client = clients[i] as Client;
    try {
      await (client.transport as StreamableHTTPClientTransport).terminateSession();
      await client.close();
    } catch (error: unknown) {
      tally.failures += 1;
      tally.firstError ??= `close: ${message(error)}`;
    }
  });
}

/** A value of the gateway's Prometheus text (summed over series), or NaN when absent. */
async function gatewayMetric(gateway: StandaloneGateway, name: string): Promise<number> {
  const text = await (await fetch(gateway.statusUrl.replace(/\/status$/, "/metrics"))).text();
  const values = text.split("\n").filter((line) => line.startsWith(`${name} `) || line.startsWith(`${name}{`));
  return values.length ? values.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(" ") + 1)), 0) : NaN;
}

/** One row of the table: `count` clients through one gateway in front of the counting upstream. */
async function runCount(
  gateway: StandaloneGateway,
  upstream: CountingUpstream,
  count: number,
  options: ClientsOptions,
): Promise<{ row: string; failures: number }> {
  const before = (await upstream.sessions()).live;
  const tally: Tally = { latencies: [], failures: 0, firstError: undefined };
  const connectStart = Date.now();
  const clients = await connectAll(gateway.url, count, tally);
  const connectS = (Date.now() - connectStart) / 1000;
  const deadline = Date.now() + options.seconds * 1000;
  const pauseMs = (count / options.rate) * 1000;
  await Promise.all(clients.map((client) => callUntil(client, deadline, pauseMs, tally)));
  const streams = await gatewayMetric(gateway, "mcp_broker_open_streams");
  const [gatewayRss, upstreamRss] = [rssBytes(gateway.process.child.pid ?? 0), rssBytes(upstream.pid)];
  const atEnd = (await upstream.sessions()).live;
  await closeAll(clients, tally);
  const afterClose = await settleSessions(upstream, before, 30_000);
  const sorted = tally.latencies.sort((a, b) => a - b);
  const row = [
    count,
    clients.length,
    connectS.toFixed(1),
    sorted.length,
    (sorted.length / options.seconds).toFixed(0),
    tally.failures > 0 ? `${tally.failures}: ${tally.firstError ?? ""}` : "0",
    percentile(sorted, 50).toFixed(1),
    percentile(sorted, 99).toFixed(1),
    streams,
    mb(gatewayRss),
    mb(upstreamRss),
    `${before} → ${atEnd} → ${afterClose}`,
  ].join(" | ");
  return { row: `| ${row} |`, failures: tally.failures };
}

/**
 * N concurrent MCP SDK clients, each with its GET stream, calling a tool for a fixed time through one standalone
 * gateway in front of an upstream that counts its sessions; one markdown row per N. Failures are in the exit code.
 */
export async function benchClients(options: ClientsOptions): Promise<{ table: string; failed: boolean }> {
  const cleanup = new Cleanup();
  try {
    const upstream = await startCountingUpstream(cleanup);
    const gateway = await startStandaloneGateway([{ name: "weather", url: upstream.url }], cleanup);
    await waitForReadyUpstreams(gateway, 1);
    const rows: string[] = [];
    let failures = 0;
    for (const count of options.counts) {
      const result = await runCount(gateway, upstream, count, options);
      rows.push(result.row);
      failures += result.failures;
    }
    const head =
      "| clients | connected | connect s | calls | calls/s | failed | p50 ms | p99 ms | gateway GET streams | gateway RSS MB | upstream RSS MB | upstream sessions: before → at end → after close |";
    const table = [head, `|${" --- |".repeat(12)}`, ...rows].join("\n");
    return { table, failed: failures > 0 };
  } finally {
    await cleanup.run();
  }
}
