import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { envoyBinary } from "../support/envoy-binary";
import { Cleanup } from "./gateway-cleanup";
import { toolCall } from "./gateway-clients";
import { formatMeasurement, measureInterleaved, warmUp, type Measurement, type Side } from "./gateway-measure";
import { startEnvoySides, type EnvoySide } from "./envoy-sides";

/** Bounded loads: per concurrency, warm-up calls and measured calls per client, over interleaved rounds. */
const LOADS = [
  { clients: 1, warmUpCalls: 100, calls: 600, rounds: 6 },
  { clients: 8, warmUpCalls: 20, calls: 120, rounds: 6 },
] as const;
const ECHO_ARGS = { message: "bench" };

async function connect(side: EnvoySide, count: number, cleanup: Cleanup): Promise<Side> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i++) {
    const client = new Client({ name: `envoy-bench-${i + 1}`, version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(side.url), { requestInit: { headers: side.headers } }),
    );
    cleanup.add(() => client.close());
    clients.push(client);
  }
  return { name: side.name, clients, call: toolCall(side.tool, ECHO_ARGS) };
}

function addedLine(label: string, base: Measurement | undefined, side: Measurement | undefined): string {
  if (!base || !side) return "";
  const added = (x: number, y: number): string => `${(x - y >= 0 ? "+" : "") + (x - y).toFixed(2)} ms`;
  return `  ${label.padEnd(44)} p50 ${added(side.p50Ms, base.p50Ms).padStart(9)}  p99 ${added(side.p99Ms, base.p99Ms).padStart(9)}`;
}

/** Envoy's access-log view of failed requests (status, response details), per side, to explain failures. */
function failureDetails(endpoints: EnvoySide[]): string {
  const lines = endpoints.flatMap((side) => {
    const failed = (side.envoy?.routes ?? []).filter((route) => route.status >= 400 || route.status === 0);
    const counts = new Map<string, number>();
    for (const route of failed) {
      const key = `${route.method} ${route.status} ${route.details} (${route.cluster})`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([key, count]) => `    ${side.name}: ${count} x ${key}`);
  });
  return ["  failed requests as Envoy logged them:", ...lines].join("\n");
}

async function runLoad(endpoints: EnvoySide[], load: (typeof LOADS)[number]): Promise<Measurement[]> {
  const cleanup = new Cleanup();
  try {
    const sides: Side[] = [];
    for (const endpoint of endpoints) {
      const side = await connect(endpoint, load.clients, cleanup);
      await warmUp(side, load.warmUpCalls);
      sides.push(side);
    }
    return await measureInterleaved(sides, load.calls, load.rounds);
  } finally {
    await cleanup.run();
  }
}

/** `npm run bench:envoy`: the same MCP SDK client calling server-everything's echo every way, at 1 and 8 clients. */
async function main(): Promise<number> {
  const binary = envoyBinary();
  console.log(`Envoy ${binary.version} (${binary.path}); tools/call echo of server-everything, loopback only\n`);
  const cleanup = new Cleanup();
  let failures = 0;
  try {
    const endpoints = await startEnvoySides(cleanup);
    for (const load of LOADS) {
      const results = await runLoad(endpoints, load);
      failures += results.reduce((sum, m) => sum + m.failures, 0);
      console.log(`${load.clients} concurrent client(s), ${load.calls} calls each:`);
      for (const m of results) console.log(`  ${formatMeasurement(m)}`);
      const byName = new Map(results.map((m) => [m.name, m]));
      const plain = byName.get("(b) plain Envoy route");
      console.log("  added over (b), the plain Envoy route:");
      for (const m of results.slice(2)) console.log(addedLine(m.name, plain, m));
      if (results.some((m) => m.failures > 0)) console.log(failureDetails(endpoints));
      console.log("");
    }
  } finally {
    await cleanup.run();
  }
  return failures > 0 ? 1 : 0;
}

void main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
