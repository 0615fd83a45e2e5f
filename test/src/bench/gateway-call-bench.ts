import { startExampleServer } from "@mcp-gateway/example-kit";
import { startServerEverything } from "@mcp-gateway/local-stack";
import { freePort } from "../support/redis-server";
import { Cleanup, runLoad, toolCall, type Load } from "./gateway-clients";
import { formatMeasurement, formatRatio, type Measurement } from "./gateway-measure";
import { startStandaloneGateway, waitForReadyUpstreams } from "./gateway-standalone";

/** One upstream tool, called directly and through the gateway with the same arguments. */
interface CallTarget {
  /** The upstream's name in the gateway config (and so its tool prefix, `<server>_`). */
  server: string;
  directUrl: string;
  directTool: string;
  gatewayTool: string;
  args: Record<string, unknown>;
}

// Bounded loads: a fixed number of calls per client, one call in flight per client.
const LOADS: readonly Load[] = [
  { clients: 1, warmUpCalls: 50, calls: 400 },
  { clients: 8, warmUpCalls: 20, calls: 150 },
];

const clientsLabel = (n: number): string => `${n} client${n === 1 ? "" : "s"}`;

/** Measures `target` directly and then through the gateway under `load`; prints both and their ratio. */
async function compare(target: CallTarget, load: Load, gatewayUrl: string): Promise<Measurement[]> {
  const clients = clientsLabel(load.clients);
  const direct = await runLoad(
    `direct  ${target.directTool}, ${clients}`,
    target.directUrl,
    load,
    toolCall(target.directTool, target.args),
  );
  console.log(formatMeasurement(direct));
  const viaGateway = await runLoad(
    `gateway ${target.gatewayTool}, ${clients}`,
    gatewayUrl,
    load,
    toolCall(target.gatewayTool, target.args),
  );
  console.log(formatMeasurement(viaGateway));
  console.log(formatRatio(`${target.gatewayTool}, ${clients}`, viaGateway, direct));
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
    console.log(`tools/call: direct vs standalone gateway (${gateway.url}), upstreams in their own processes`);
    const results: Measurement[] = [];
    for (const target of targets) {
      for (const load of LOADS) results.push(...(await compare(target, load, gateway.url)));
    }
    return results;
  } finally {
    await cleanup.run();
  }
}
