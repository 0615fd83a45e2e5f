import { startServerEverything } from "@mcp-gateway/local-stack";
import { envoyBinary } from "../support/envoy-binary";
import { freePort } from "../support/redis-server";
import { startPlainEnvoy } from "./envoy-sides";
import { startEnvoyModeGateway, startNoopExtProcEnvoy } from "./envoy-mode-gateway";
import { Cleanup } from "./gateway-cleanup";
import { connectClients, toolCall } from "./gateway-clients";
import { warmUp, type Measurement } from "./gateway-measure";
import {
  afterFirstHealthRound,
  startNoopProxy,
  startStandaloneGateway,
  waitForReadyUpstreams,
} from "./gateway-standalone";
import {
  asMeasurement,
  NOOP_EXT_PROC,
  NOOP_PROXY,
  overheadTable,
  targetsTable,
  type SideResult,
} from "./overhead-table";
import { measureRounds, type OverheadSide, type SideProcesses } from "./overhead-rounds";

/** Per load: clients per side, warm-up calls and calls per round per client, interleaved rounds. */
interface RoundLoad {
  clients: number;
  warmUpCalls: number;
  callsPerRound: number;
  rounds: number;
}

const LOADS: readonly RoundLoad[] = [
  { clients: 1, warmUpCalls: 100, callsPerRound: 150, rounds: 6 },
  { clients: 8, warmUpCalls: 20, callsPerRound: 40, rounds: 6 },
  { clients: 64, warmUpCalls: 5, callsPerRound: 8, rounds: 6 },
];
const ECHO_ARGS = { message: "hello from the gateway benchmark" };

/** A way to reach server-everything's echo: its URL, the tool's name there, its processes, its baseline. */
interface Route {
  name: string;
  url: string;
  tool: string;
  processes: SideProcesses;
  /** Index (in the route list) of the route this one's added cost is measured against; none for the baseline. */
  baseline?: number;
}

/** Starts server-everything and every route to it: direct, standalone gateway, and (Envoy found) plain Envoy, Envoy mode. */
async function startRoutes(cleanup: Cleanup): Promise<Route[]> {
  const port = await freePort();
  const everything = await startServerEverything(port);
  cleanup.add(() => everything.stop());
  const direct = `http://127.0.0.1:${port}/mcp`;
  const upstream = everything.child.pid ?? 0;
  const servers = [{ name: "everything", url: direct }];
  const standalone = await startStandaloneGateway(servers, cleanup);
  await waitForReadyUpstreams(standalone, 1);
  const noopProxy = await startNoopProxy(`http://127.0.0.1:${port}`, cleanup);
  const routes: Route[] = [
    { name: "direct", url: direct, tool: "echo", processes: { upstream } },
    {
      ...{ name: NOOP_PROXY, url: noopProxy.url, tool: "echo", baseline: 0 },
      processes: { upstream, gateway: noopProxy.process.child.pid ?? 0 },
    },
    {
      ...{ name: "standalone gateway", url: standalone.url, tool: "everything_echo", baseline: 0 },
      processes: { upstream, gateway: standalone.process.child.pid ?? 0 },
    },
  ];
  try {
    console.log(`Envoy ${envoyBinary().version} (${envoyBinary().path})`);
  } catch (error: unknown) {
    console.log(`Envoy mode left out: ${error instanceof Error ? error.message : String(error)}`);
    return routes;
  }
  const plain = await startPlainEnvoy(port);
  cleanup.add(() => plain.stop());
  const noopExtProc = await startNoopExtProcEnvoy(servers, port, cleanup);
  const envoyMode = await startEnvoyModeGateway(servers, cleanup);
  const plainIndex = routes.length;
  routes.push(
    {
      name: "plain Envoy route",
      url: `${plain.url}/mcp`,
      tool: "echo",
      processes: { upstream, envoy: plain.pid },
      baseline: 0,
    },
    {
      ...{ name: NOOP_EXT_PROC, url: noopExtProc.url, tool: "echo", baseline: plainIndex },
      processes: { upstream, envoy: noopExtProc.envoy.pid, gateway: noopExtProc.extProc.child.pid ?? 0 },
    },
    {
      ...{ name: "Envoy mode gateway", url: envoyMode.url, tool: "everything_echo", baseline: plainIndex },
      processes: { upstream, envoy: envoyMode.envoy.pid, gateway: envoyMode.gateway.child.pid ?? 0 },
    },
  );
  return routes;
}

/** Connects `load.clients` fresh SDK clients per route, warms them up, and measures all routes interleaved. */
async function runLoad(routes: readonly Route[], load: RoundLoad): Promise<SideResult[]> {
  const cleanup = new Cleanup();
  try {
    const sides: OverheadSide[] = [];
    for (const route of routes) {
      const clients = await connectClients(route.url, load.clients, cleanup);
      const side = { name: route.name, clients, call: toolCall(route.tool, ECHO_ARGS), processes: route.processes };
      await warmUp(side, load.warmUpCalls);
      sides.push(side);
    }
    const figures = await measureRounds(sides, load.callsPerRound, load.rounds);
    return routes.map((route, i) => ({
      name: route.name,
      rounds: figures[i] ?? [],
      baseline:
        route.baseline === undefined
          ? undefined
          : { name: routes[route.baseline]?.name ?? "", rounds: figures[route.baseline] ?? [] },
      direct: figures[0] ?? [],
    }));
  } finally {
    await cleanup.run();
  }
}

/**
 * Part 0: what the gateway adds to a `tools/call` of server-everything's echo, with 1, 8 and 64 MCP SDK clients:
 * added p50, throughput ratio and CPU per call of every process, standalone and in Envoy mode (against a plain Envoy
 * route). Every process it starts is stopped before it returns.
 */
export async function benchOverhead(): Promise<Measurement[]> {
  const cleanup = new Cleanup();
  try {
    const routes = await startRoutes(cleanup);
    await afterFirstHealthRound();
    const byLoad = new Map<number, SideResult[]>();
    for (const load of LOADS) {
      const results = await runLoad(routes, load);
      byLoad.set(load.clients, results);
      console.log(
        `\n### tools/call echo, ${load.clients} client(s), ${load.rounds} interleaved rounds of ${load.callsPerRound} calls per client (medians of rounds)\n`,
      );
      console.log(overheadTable(results));
    }
    console.log(`\n### Targets (issue 15)\n\n${targetsTable(byLoad)}`);
    return [...byLoad.values()].flat().map(asMeasurement);
  } finally {
    await cleanup.run();
  }
}
