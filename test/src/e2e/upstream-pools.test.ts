import type { RunningProcess } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { pollUntil, withDeadline } from "../support/bounded-wait";
import { freePort } from "../support/redis-server";
import { startGatewayStack, type GatewayStack } from "./gateway-stack";
import { connectClient, rawPost, type ConnectedClient } from "./mcp-client";

jest.setTimeout(240_000);

// Issue 15, item 1: one agent of 64 connections per upstream carried both routed calls and the upstream GET streams the
// gateway holds for its clients' sessions, so once 64 SDK clients (each opening its GET stream, the SDK's default)
// had called an upstream, every further call to it waited for a connection that never freed, past any timeout. Here
// the call pool is far smaller than the number of clients: streams must live on a pool of their own, and a call that
// cannot get a connection must fail at its deadline, naming the upstream. Every wait is bounded, so a regression fails.
const CLIENTS = 200;
const BATCH = 20;
const POOL = 16;

/** Sums the samples of `name` carrying `server="<server>"` in a Prometheus scrape. */
function gauge(text: string, name: string, server: string): number {
  const line = text.split("\n").find((l) => l.startsWith(`${name}{server="${server}"}`));
  return line === undefined ? Number.NaN : Number(line.split(" ").pop());
}

const call = (id: number, name: string, args: Record<string, unknown>): string =>
  JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: args } });

async function initialize(url: string): Promise<string> {
  const params = { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "pools", version: "1" } };
  const reply = await rawPost(url, JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params }));
  const session = reply.headers.get("mcp-session-id");
  if (session === null) throw new Error(`initialize failed: HTTP ${reply.status}`);
  return session;
}

/** Runs `action` for every item, BATCH at a time, each bounded by a deadline; the results in order. */
async function inBatches<T, R>(items: readonly T[], action: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += BATCH) {
    const batch = items
      .slice(start, start + BATCH)
      .map((item, i) => withDeadline(action(item, start + i), 60_000, `call ${start + i}`));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

describe("upstream connection pools (standalone)", () => {
  let everything: RunningProcess;
  let stack: GatewayStack;
  const clients: ConnectedClient[] = [];
  const scrape = async (): Promise<string> => (await fetch(`${stack.brokerBase}/metrics`)).text();

  beforeAll(async () => {
    const port = await freePort();
    everything = await startServerEverything(port);
    stack = await startGatewayStack(
      { kind: "standalone" },
      {
        extraServers: [`name: everything, url: "http://127.0.0.1:${port}/mcp"`],
        limits: `maxUpstreamConnections: ${POOL}, maxUpstreamStreams: ${CLIENTS + 20}, upstreamTimeout: 6s`,
      },
    );
  });
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await stack?.stop();
    await everything?.stop();
  });

  it(`connects ${CLIENTS} SDK clients, each with its GET stream, and completes a call of each to one upstream`, async () => {
    for (let start = 0; start < CLIENTS; start += BATCH) {
      const batch = Array.from({ length: BATCH }, (_, i) =>
        withDeadline(connectClient(stack.url, `pool-client-${start + i}`), 20_000, `client ${start + i} to connect`),
      );
      clients.push(...(await Promise.all(batch)));
    }
    // Every client's first call creates its backend session, whose upstream GET stream the gateway then opens. Calls go
    // in batches (a batch is about the pool's size), so a call's wait for a connection stays well inside upstreamTimeout
    // however loaded the machine is: what is tested is that the streams, which outnumber the pool, never take it.
    const echoes = await inBatches(clients, (client, i) =>
      client.client.callTool({ name: "everything_echo", arguments: { message: `client ${i}` } }),
    );
    echoes.forEach((echo, i) => expect(echo).toMatchObject({ content: [{ text: `Echo: client ${i}` }] }));
    // The streams to the upstream outnumber the call pool many times over, and calls still flow beside them.
    const streamsOpen = await pollUntil(
      async () => gauge(await scrape(), "mcp_broker_upstream_streams_open", "everything") === CLIENTS,
      30_000,
    );
    expect(streamsOpen).toBe(true);
    const again = await inBatches(clients, (client, i) =>
      client.client.callTool({ name: "everything_echo", arguments: { message: `again ${i}` } }),
    );
    expect(again.every((echo) => echo.isError !== true)).toBe(true);
    const metrics = await scrape();
    expect(gauge(metrics, "mcp_broker_upstream_connections_queued", "everything")).toBe(0);
    expect(gauge(metrics, "mcp_broker_upstream_connections_in_use", "everything")).toBeLessThanOrEqual(POOL);
  });

  it("fails a call that gets no connection within upstreamTimeout with 503 naming the upstream", async () => {
    // Slow calls hold every connection of the pool (their replies stream for seconds).
    const session = await initialize(stack.url);
    const headers = { "mcp-session-id": session };
    const slow = Array.from({ length: POOL }, (_, i) =>
      withDeadline(
        rawPost(
          stack.url,
          call(100 + i, "everything_trigger-long-running-operation", { duration: 15, steps: 3 }),
          headers,
        ),
        60_000,
        `slow call ${i}`,
      ),
    );
    const full = await pollUntil(
      async () => gauge(await scrape(), "mcp_broker_upstream_connections_in_use", "everything") === POOL,
      20_000,
    );
    expect(full).toBe(true);
    const queued = await withDeadline(
      rawPost(stack.url, call(7, "everything_echo", { message: "queued" }), headers),
      20_000,
      "the queued call's answer",
    );
    expect(queued.status).toBe(503);
    expect(queued.json).toMatchObject({
      jsonrpc: "2.0",
      id: 7,
      error: {
        code: -31001,
        message: `upstream "everything": no connection free within 6000 ms (${POOL} in use, limits.maxUpstreamConnections)`,
      },
    });
    // The slow calls themselves complete: their connections were theirs all along.
    const done = await Promise.all(slow);
    expect(done.map((reply) => reply.status)).toEqual(Array(POOL).fill(200));
    expect(done.every((reply) => reply.json["result"] !== undefined)).toBe(true);
  });
});
