import { startExampleServer } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import { Cleanup } from "./gateway-cleanup";
import { compareEndpoints, toolCall, type Load } from "./gateway-clients";
import { formatComparison, type Measurement } from "./gateway-measure";
import { afterFirstHealthRound, startStandaloneGateway, waitForReadyUpstreams } from "./gateway-standalone";

/** One upstream tool, called directly and through the gateway with the same arguments. */
interface CallTarget {
  /** The upstream's name in the gateway config (and so its tool prefix, `<server>_`). */
  server: string;
  directUrl: string;
  directTool: string;
  gatewayTool: string;
  args: Record<string, unknown>;
}

// Bounded loads: a fixed number of calls per client, one call in flight per client, in 4 interleaved rounds.
const LOADS: readonly Load[] = [
  { clients: 1, warmUpCalls: 100, calls: 800, rounds: 4 },
  { clients: 8, warmUpCalls: 25, calls: 200, rounds: 4 },
];

const clientsLabel = (n: number): string => `${n} client${n === 1 ? "" : "s"}`;

/** Measures `target` directly and through the gateway under `load`, interleaved; prints both and their ratio. */
async function compare(target: CallTarget, load: Load, gatewayUrl: string): Promise<Measurement[]> {
  const clients = clientsLabel(load.clients);
  const [direct, viaGateway] = await compareEndpoints(
    {
      name: `direct  ${target.directTool}, ${clients}`,
      url: target.directUrl,
      call: toolCall(target.directTool, target.args),
    },
    {
      name: `gateway ${target.gatewayTool}, ${clients}`,
      url: gatewayUrl,
      call: toolCall(target.gatewayTool, target.args),
    },
    load,
  );
  console.log(formatComparison(`${target.gatewayTool}, ${clients}`, direct, viaGateway));
  return [direct, viaGateway];
}

/** Starts server-everything and the weather example, each in its own process; returns the two targets. */
async function startUpstreams(cleanup: Cleanup): Promise<CallTarget[]> {
  const everythingPort = await freePort();
  const everything = await startServerEverything(everythingPort);
  cleanup.add(() => everything.stop());
  const weather = await startExampleServer("weather", 0);
  cleanup.add(() => weather.stop());
  return [
    {
      server: "everything",
      directUrl: `http://127.0.0.1:${everythingPort}/mcp`,
      directTool: "echo",
      gatewayTool: "everything_echo",
      args: { message: "hello from the gateway benchmark" },
    },
    {
      server: "weather",
      directUrl: weather.url,
      directTool: "get_forecast",
      gatewayTool: "weather_get_forecast",
      args: { city: "Amsterdam", days: 3 },
    },
  ];
}

/**
 * Part 1: `tools/call` latency and throughput directly to each upstream and through a standalone gateway process in
 * front of both, with 1 and with 8 concurrent clients. Every process it starts is stopped before it returns.
 */
export async function benchToolCalls(): Promise<Measurement[]> {
  const cleanup = new Cleanup();
  try {
    const targets = await startUpstreams(cleanup);
    const servers = targets.map((target) => ({ name: target.server, url: target.directUrl }));
    const gateway = await startStandaloneGateway(servers, cleanup);
    await waitForReadyUpstreams(gateway, servers.length);
    await afterFirstHealthRound();
    console.log(
      `tools/call: direct vs standalone gateway (${gateway.url}), upstreams in their own processes, direct and gateway rounds interleaved`,
    );
    const results: Measurement[] = [];
    for (const target of targets) {
      for (const load of LOADS) results.push(...(await compare(target, load, gateway.url)));
    }
    return results;
  } finally {
    await cleanup.run();
  }
}
