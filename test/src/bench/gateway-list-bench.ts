import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { startServer, type RunningServer } from "@mcp-gateway/example-weather";
import { Cleanup } from "./gateway-cleanup";
import { compareEndpoints, connectClient, toolsList, type Load } from "./gateway-clients";
import { formatComparison, type Measurement } from "./gateway-measure";
import {
  afterFirstHealthRound,
  sinceSpawn,
  startStandaloneGateway,
  waitForReadyUpstreams,
  type StandaloneGateway,
  type UpstreamEntry,
} from "./gateway-standalone";

const UPSTREAMS = 50;
const LIST_LOAD: Load = { clients: 1, warmUpCalls: 50, calls: 400, rounds: 4 };

/** Starts `count` weather example servers in this process (cheap: one Express app each), named s01, s02, .... */
async function startWeatherUpstreams(count: number, cleanup: Cleanup): Promise<UpstreamEntry[]> {
  const servers: RunningServer[] = await Promise.all(Array.from({ length: count }, () => startServer({ port: 0 })));
  for (const server of servers) cleanup.add(() => server.close());
  return servers.map((server, i) => ({ name: `s${String(i + 1).padStart(2, "0")}`, url: server.url }));
}

/** Number of tools one upstream lists (all 50 are the same server, so this is N of the 50×N). */
async function toolsPerUpstream(url: string): Promise<number> {
  const cleanup = new Cleanup();
  try {
    const client = await connectClient(url, cleanup);
    return (await client.listTools()).tools.length;
  } finally {
    await cleanup.run();
  }
}

/** Lists tools every 10 ms until the gateway lists `expected` of them; throws after `timeoutMs`. */
async function untilListComplete(client: Client, expected: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { tools } = await client.listTools();
    if (tools.length === expected) return;
    if (Date.now() > deadline) throw new Error(`gateway lists ${tools.length} tools, expected ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Cold discovery, timed from spawning the gateway process: listening, `/status` all ready, first complete list. */
async function coldDiscovery(
  upstreams: readonly UpstreamEntry[],
  expected: number,
  cleanup: Cleanup,
): Promise<StandaloneGateway> {
  const gateway = await startStandaloneGateway(upstreams, cleanup);
  const listeningMs = sinceSpawn(gateway);
  // Connected before the upstreams are ready, so the first-list time holds no client handshake.
  const client = await connectClient(gateway.url, cleanup);
  await waitForReadyUpstreams(gateway, upstreams.length);
  const readyMs = sinceSpawn(gateway);
  await untilListComplete(client, expected);
  const listedMs = sinceSpawn(gateway);
  console.log(
    `cold discovery, ${upstreams.length} upstreams (from spawning the gateway process): listening ${listeningMs.toFixed(0)} ms   /status all ready ${readyMs.toFixed(0)} ms   first complete tools/list (${expected} tools) ${listedMs.toFixed(0)} ms`,
  );
  return gateway;
}

/**
 * Part 2: a standalone gateway in front of 50 in-process upstreams: cold discovery time, then `tools/list` through
 * the gateway next to `tools/list` directly against one upstream. Everything it starts is stopped before it returns.
 */
export async function benchToolsList(): Promise<Measurement[]> {
  const cleanup = new Cleanup();
  try {
    const upstreams = await startWeatherUpstreams(UPSTREAMS, cleanup);
    const first = upstreams[0] as UpstreamEntry;
    const perUpstream = await toolsPerUpstream(first.url);
    const total = perUpstream * upstreams.length;
    console.log(`tools/list: ${upstreams.length} weather upstreams in this process, ${perUpstream} tools each`);
    const gateway = await coldDiscovery(upstreams, total, cleanup);
    await afterFirstHealthRound();
    const [direct, viaGateway] = await compareEndpoints(
      { name: `direct  tools/list, 1 upstream (${perUpstream} tools)`, url: first.url, call: toolsList(perUpstream) },
      {
        name: `gateway tools/list, ${upstreams.length} upstreams (${total} tools)`,
        url: gateway.url,
        call: toolsList(total),
      },
      LIST_LOAD,
    );
    console.log(formatComparison(`tools/list, ${upstreams.length} upstreams vs 1, 1 client`, direct, viaGateway));
    return [direct, viaGateway];
  } finally {
    await cleanup.run();
  }
}
